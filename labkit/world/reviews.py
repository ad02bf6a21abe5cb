"""Review texts composed from per-aspect sentiments (quality, fit, delivery, price, looks).

Each mentioned aspect becomes one clause whose wording grades its sentiment: strong
("fell apart after a week"), mild, often via a negated opposite ("not bad at all",
"not great"), or neutral ("delivery was ok").  Opposite-signed aspects are joined by
a contrast ("but", "however", "although") with the stronger aspect after it, and a
good share of reviews contains negations, so word counting misleads on a
measurable slice.  Used by the world generator (feedback) and modelled in 04.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..schema import ASPECTS

# level index: 0 strong negative, 1 mild negative, 2 neutral, 3 mild positive, 4 strong positive
_LEVEL_EDGES = np.array([-1.2, -0.4, 0.4, 1.2])
_P_NEGATED = np.array([0.15, 0.4, 0.2, 0.4, 0.15])  # chance of a negated phrasing, per level
_STRONG = ("", "really ", "truly ")  # fills {i}
_HEDGE = ("", "quite ", "pretty ", "fairly ")  # fills {h}
_TYPO_RATE = 0.03
NEGATION_RE = re.compile(r"\b(?:not|no|never|nothing|neither|nor)\b|n't\b", re.IGNORECASE)

# _PHRASES[aspect][level] = (plain clauses, negated clauses)
_PHRASES: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "quality": (
        (("it fell apart after a week", "the quality is {i}terrible", "the fabric quality is {i}awful",
          "it broke after two days", "the stitching came undone after one wash", "the quality is {i}dreadful"),
         ("the quality is not good at all", "it didn't even last a week", "the quality is not acceptable",
          "it's not durable at all", "couldn't believe how badly made it is")),
        (("the quality is a bit disappointing", "the fabric feels a bit thin", "the stitching is slightly loose",
          "the quality is a little below what I hoped", "the material feels a bit flimsy"),
         ("the quality is not great", "the quality is not the best", "the quality isn't what I expected",
          "not the best quality", "the material doesn't feel very sturdy", "the quality isn't great")),
        (("the quality is ok", "quality is average", "the quality is as expected", "it's standard quality",
          "the quality is acceptable"),
         ("the quality is nothing special", "nothing remarkable about the quality",
          "the quality is neither good nor bad")),
        (("the quality is {h}good", "{h}decent quality", "the material feels {h}nice", "it seems {h}well made"),
         ("the quality is not bad at all", "the quality isn't bad", "can't complain about the quality",
          "the fabric didn't disappoint", "not bad quality at all")),
        (("the quality is {i}excellent", "the fabric quality is {i}excellent", "it feels {i}well made",
          "the build quality is {i}superb", "the quality is {i}amazing", "it's {i}sturdy and built to last"),
         ("couldn't be happier with the quality", "can't fault the quality",
          "no complaints at all about the quality", "never had anything this well made")),
    ),
    "fit": (
        (("the fit is {i}terrible", "it's way too small", "the sizing is completely wrong", "it was {i}huge on me",
          "it fits {i}badly", "the cut is {i}awful"),
         ("it doesn't fit at all", "the fit is not good at all", "couldn't even get it on",
          "the size was not even close")),
        (("it's a bit tight", "it runs a little small", "the fit is slightly off", "it's a bit loose",
          "the sizing is a bit inconsistent"),
         ("the fit is not great", "the fit isn't the best", "it doesn't fit quite right",
          "the sizing is not ideal", "the fit isn't ideal")),
        (("it fits as expected", "the fit is ok", "the fit is standard", "the size is as described",
          "the sizing is normal"),
         ("the fit is nothing special", "no surprises with the sizing", "nothing unusual about the fit")),
        (("it fits {h}well", "the fit is {h}good", "the size is about right", "it's {h}comfortable to wear"),
         ("the fit is not bad at all", "the fit isn't bad", "can't complain about the fit",
          "the sizing didn't disappoint", "not a bad fit at all")),
        (("the fit is {i}perfect", "it fits {i}perfectly", "it fits like a glove", "the size is spot on",
          "the fit is {i}great", "the sizing is {i}accurate"),
         ("couldn't ask for a better fit", "no issues with the fit at all", "the sizing couldn't be better",
          "never had a better fit")),
    ),
    "delivery": (
        (("delivery was {i}slow", "it took three weeks to arrive", "the parcel got lost twice",
          "shipping was a total nightmare", "delivery was {i}awful", "the courier was {i}rude"),
         ("delivery was not good at all", "it didn't arrive for weeks", "the courier didn't even ring the bell",
          "delivery was not acceptable")),
        (("delivery was a bit slow", "it arrived a few days late", "shipping took a little longer than promised",
          "the box was slightly dented", "delivery was somewhat delayed"),
         ("delivery was not great", "delivery wasn't the fastest", "shipping was not the best",
          "it didn't arrive on the promised day", "delivery wasn't great")),
        (("delivery was ok", "it arrived when expected", "shipping took the usual few days",
          "delivery was standard", "delivery was average"),
         ("nothing special about the delivery", "no surprises with shipping",
          "delivery was neither fast nor slow")),
        (("delivery was {h}quick", "it arrived on time", "shipping was {h}smooth", "delivery was {h}good"),
         ("delivery was not bad at all", "shipping wasn't slow", "can't complain about the delivery",
          "delivery wasn't bad", "no problems with the delivery")),
        (("delivery was {i}fast", "it arrived the next day", "shipping was {i}quick",
          "the parcel came two days early", "delivery was {i}speedy", "shipping was {i}excellent"),
         ("delivery couldn't have been faster", "no delays at all with shipping",
          "never had such a quick delivery", "can't fault the delivery")),
    ),
    "price": (
        (("{i}overpriced", "a total rip-off", "way too expensive", "the price is {i}ridiculous",
          "{i}poor value for money", "the price is {i}outrageous"),
         ("not worth the money", "definitely not worth the price", "the price is not justified at all",
          "wouldn't pay this much again")),
        (("a bit overpriced", "slightly expensive for what it is", "the price is a little high", "a bit pricey"),
         ("the price is not great", "not the best value", "the price isn't really justified",
          "not cheap for what it is", "the price isn't great")),
        (("the price is ok", "the price is about average", "priced as expected",
          "standard price for this kind of item", "the price is normal"),
         ("nothing special price-wise", "no surprises with the price", "the price is neither cheap nor expensive")),
        (("{h}good value", "the price is {h}fair", "{h}reasonably priced", "{h}affordable"),
         ("the price is not bad at all", "it wasn't cheap, still worth it", "not too expensive",
          "the price isn't bad", "not a bad price")),
        (("{i}great value for money", "the price is {i}excellent", "it's a bargain", "a steal at this price",
          "worth every penny", "the price is {i}unbeatable"),
         ("couldn't beat the price", "can't argue with the price", "you won't find it cheaper anywhere",
          "never paid so little for something this good")),
    ),
    "looks": (
        (("it looks {i}ugly", "the colour is {i}awful", "it looks {i}cheap", "the design is {i}hideous",
          "the print is {i}tacky"),
         ("it doesn't look good at all", "it looks nothing like the picture", "the colour is not nice at all",
          "not pretty at all")),
        (("the colour is a bit dull", "it looks slightly different from the photo",
          "the design is a little plain", "the colour is a bit off"),
         ("it doesn't look great", "the colour is not the best", "the colour isn't what I expected",
          "the design isn't great", "not as pretty as in the photos")),
        (("it looks like the picture", "the colour is as shown", "the design is ok", "it looks ordinary",
          "the look is plain and simple"),
         ("the look is nothing special", "nothing special about the design", "neither pretty nor ugly")),
        (("it looks {h}nice", "the colour is {h}nice", "the design is {h}nice", "it looks {h}good"),
         ("it doesn't look bad at all", "the colour isn't bad", "the design is not bad at all",
          "can't complain about the looks", "not bad looking at all")),
        (("it looks {i}great", "it looks {i}gorgeous", "the colour is {i}beautiful", "it looks {i}stunning",
          "the design is {i}lovely", "it looks even better than the photos"),
         ("couldn't be happier with how it looks", "can't stop looking at it", "never owned anything so pretty",
          "no photo does it justice")),
    ),
}
# connectors: (text, next clause capitalised?)
_CONNECTORS = (
    ("", True), ("Although ", False), (". ", True), (". Although ", False), (", ", False),  # 0-4
    (" and ", False), (", and ", False), (". Also, ", False), (", ", False),  # 5-8: joins
    (" but ", False), (", but ", False), (". However, ", False), (". That said, ", False), (", yet ", False),
)
_JOINS = np.array([5, 6, 7, 8, 2])
_CONTRASTS = np.array([9, 10, 11, 12, 13])
_P_ALTHOUGH = 0.2
_PRE = ("Bought it for my sister.", "Ordered the {p} last week.", "Got the {p} as a birthday present.",
        "This was my first order from this shop.", "I've had the {p} for a month now.", "Bought this for a trip.",
        "My partner picked the {p} for me.", "Second purchase from this brand.")
_POST = ("Will update after a few more weeks.", "Ordered the {p} in another colour too.", "Used it on holiday.",
         "Gave one to my mum as well.", "Bought it alongside a few other things.")
_CLOSE_POS = (("Would recommend.", False), ("Would buy again.", False), ("Happy with it overall.", False),
              ("Great purchase.", False), ("Can't recommend it enough.", True), ("No regrets.", True))
_CLOSE_NEG = (("Would not recommend.", True), ("Won't buy again.", True), ("Returning it.", False),
              ("Very disappointed.", False), ("Not happy overall.", True), ("Avoid.", False))
_PROTECTED = {"never", "nothing", "neither", "however", "although", "would"}


@dataclass(frozen=True)
class ReviewTexts:
    """Composed reviews plus flags for the hard slices (negation, contrast, typo)."""

    texts: list[str]
    has_negation: np.ndarray
    has_contrast: np.ndarray
    has_typo: np.ndarray


@dataclass(frozen=True)
class _Table:
    low: np.ndarray  # object array of clauses, lower-case start
    cap: np.ndarray  # same clauses, capitalised
    cum: np.ndarray  # cell id + cumulative weight within the cell, for searchsorted


@lru_cache(maxsize=1)
def _clause_table() -> _Table:
    """Flatten _PHRASES (with intensifiers expanded) into arrays indexed by cell = (aspect, level, negated)."""
    low: list[str] = []
    cum: list[float] = []
    for a, aspect in enumerate(ASPECTS):
        for lv in range(5):
            for g, group in enumerate(_PHRASES[aspect][lv]):
                cell = (a * 5 + lv) * 2 + g
                entries: list[tuple[str, float]] = []
                for t in group:  # each template gets equal weight, split over its fillers
                    fills = _STRONG if "{i}" in t else _HEDGE if "{h}" in t else ("",)
                    entries += [(t.replace("{i}", f).replace("{h}", f), 1.0 / len(fills)) for f in fills]
                w = np.cumsum([e[1] for e in entries]) / sum(e[1] for e in entries)
                w[-1] = 1.0
                low += [e[0] for e in entries]
                cum += list(cell + w)
    low_arr = np.array(low, dtype=object)
    cap_arr = np.array([t[0].upper() + t[1:] for t in low], dtype=object)
    return _Table(low_arr, cap_arr, np.array(cum))


def add_typo(text: str, u1: float, u2: float) -> str:
    """Swap two adjacent letters in one longer plain word (u1, u2 in [0, 1) pick where)."""
    words = text.split(" ")
    cand = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.lower() not in _PROTECTED]
    if not cand:
        return text
    i = cand[int(u1 * len(cand))]
    w = words[i]
    for step in range(len(w) - 1):
        p = (int(u2 * (len(w) - 1)) + step) % (len(w) - 1)
        if w[p] != w[p + 1]:
            words[i] = w[:p] + w[p + 1] + w[p] + w[p + 2:]
            return " ".join(words)
    return text


def _slot_fill(templates: tuple[str, ...], idx: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Object array of templates[idx] with {p} replaced by the row's product name."""
    head = np.array([t.split("{p}")[0] for t in templates], dtype=object)
    tail = np.array([t.split("{p}")[1] if "{p}" in t else "" for t in templates], dtype=object)
    has = np.array(["{p}" in t for t in templates])
    return head[idx] + np.where(has[idx], names, "") + tail[idx]


def _check(rng, sentiment, mentioned, product_name) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    s = np.asarray(sentiment, dtype=float)
    if s.ndim != 2 or s.shape[1] != len(ASPECTS):
        raise ValueError(f"sentiment must have shape (n, {len(ASPECTS)}), got {s.shape}")
    m = np.asarray(mentioned)
    if m.shape != s.shape:
        raise ValueError(f"mentioned must have the shape of sentiment {s.shape}, got {m.shape}")
    m = m.astype(bool)
    if len(product_name) != s.shape[0]:
        raise ValueError(f"product_name has length {len(product_name)}, expected {s.shape[0]}")
    if not np.all(np.isfinite(s)) or np.abs(s).max(initial=0.0) > 2.0 + 1e-9:
        raise ValueError("sentiment values must be finite and within [-2, 2]")
    if s.shape[0] and not m.any(axis=1).all():
        raise ValueError("mentioned must mark at least one aspect in every row")
    return s, m, np.asarray(product_name, dtype=object)


def compose_reviews(
    rng: np.random.Generator, sentiment: np.ndarray, mentioned: np.ndarray, product_name: list[str]
) -> ReviewTexts:
    """Write one review per row from its (n, 5) aspect sentiments in [-2, 2] and mention mask.

    Columns follow labkit.schema.ASPECTS.  Used by the world generator (feedback); 04 models the texts.
    """
    s, m, names = _check(rng, sentiment, mentioned, product_name)
    n, n_asp = s.shape
    tab = _clause_table()
    rows = np.arange(n)
    u = rng.random((n, n_asp, 3))
    level = np.digitize(s, _LEVEL_EDGES)
    negated = u[..., 0] < _P_NEGATED[level]
    cell = (np.arange(n_asp)[None, :] * 5 + level) * 2 + negated
    var = np.searchsorted(tab.cum, cell + u[..., 1], side="right")

    # the dominant aspect (largest |sentiment|) goes after the contrast connective
    sign = np.sign(level - 2) * m
    dom = np.argmax(np.where(m, np.abs(s), -1.0) + 1e-6 * u[..., 2], axis=1)
    dom_sign = sign[rows, dom]
    opposite = m & (sign == -dom_sign[:, None]) & (dom_sign[:, None] != 0)
    contrast = opposite.any(axis=1)
    same = m & (sign == dom_sign[:, None]) & (sign != 0)
    group = np.where(contrast[:, None], np.where(opposite, 1, np.where(same, 3, 0)), 0)
    group[rows[contrast], dom[contrast]] = 2
    order = np.argsort(np.where(m, group + 0.5 * u[..., 2], 99.0), axis=1)
    g = np.take_along_axis(group, order, axis=1)
    v = np.take_along_axis(var, order, axis=1)
    k = m.sum(axis=1)

    r = rng.random((n, 13))
    although = contrast & (r[:, 0] < _P_ALTHOUGH)
    conn = np.zeros((n, n_asp), dtype=np.intp)
    conn[:, 0] = np.where(although & (g[:, 0] == 1), 1, 0)
    for j in range(1, n_asp):
        cj = _JOINS[(r[:, j] * len(_JOINS)).astype(int)]
        cj = np.where(g[:, j] == 3, 5 + (r[:, j] < 0.5), cj)  # stay in the dominant sentence
        cj = np.where((g[:, j] == 1) & (g[:, j - 1] == 0), np.where(although, 3, 2), cj)
        cj = np.where(although & (g[:, j] == 1) & (g[:, j - 1] == 1), 5, cj)  # "Although a and b, c"
        contrast_c = _CONTRASTS[(r[:, j] * len(_CONTRASTS)).astype(int)]
        conn[:, j] = np.where(g[:, j] == 2, np.where(although, 4, contrast_c), cj)
    conn_text = np.array([c[0] for c in _CONNECTORS], dtype=object)
    conn_cap = np.array([c[1] for c in _CONNECTORS])

    parts = np.full((n, 2 * n_asp + 4), "", dtype=object)
    pre = r[:, 6] < 0.3
    pre_idx = (r[:, 7] * len(_PRE)).astype(int)
    parts[pre, 0] = _slot_fill(_PRE, pre_idx[pre], names[pre]) + " "
    for j in range(n_asp):
        live = j < k
        clause = np.where(conn_cap[conn[:, j]], tab.cap[v[:, j]], tab.low[v[:, j]])
        parts[live, 1 + 2 * j] = conn_text[conn[live, j]]
        parts[live, 2 + 2 * j] = clause[live]
    dom_s = s[rows, dom]
    last_level = np.take_along_axis(level, order, axis=1)[rows, np.maximum(k - 1, 0)]
    bang = (last_level == 4) & (r[:, 8] < 0.35)
    parts[:, 2 * n_asp + 1] = np.where(bang, "!", ".")
    closing = (np.abs(dom_s) >= 0.8) & (dom_sign != 0) & (r[:, 9] < 0.2)
    ci = (r[:, 10] * len(_CLOSE_POS)).astype(int)
    close_text = np.array([" " + c[0] for c in _CLOSE_POS + _CLOSE_NEG], dtype=object)
    close_neg = np.array([c[1] for c in _CLOSE_POS + _CLOSE_NEG])
    cidx = ci + len(_CLOSE_POS) * (dom_sign < 0)
    parts[closing, 2 * n_asp + 2] = close_text[cidx[closing]]
    post = (r[:, 11] < 0.12) & ~closing
    post_idx = (r[:, 12] * len(_POST)).astype(int)
    parts[post, 2 * n_asp + 3] = " " + _slot_fill(_POST, post_idx[post], names[post])
    texts = ["".join(p) for p in parts.tolist()]

    typo_u = rng.random((n, 3))
    has_typo = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(typo_u[:, 0] < _TYPO_RATE):
        new = add_typo(texts[i], typo_u[i, 1], typo_u[i, 2])
        has_typo[i] = new != texts[i]
        texts[i] = new
    has_negation = (m & negated).any(axis=1) | (closing & close_neg[cidx])
    return ReviewTexts(texts, has_negation, contrast.copy(), has_typo)
