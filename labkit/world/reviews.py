"""Review texts composed from per-aspect sentiments (quality, fit, delivery, price, looks).

Each mentioned aspect becomes one clause whose wording grades its sentiment: strong
("fell apart after a week"), mild, often via a negated opposite ("not bad at all",
"not great") or a negation whose scope spans a whole opposite clause ("I wouldn't say
the fit is perfect"), or neutral ("delivery was ok").  Opposite-signed aspects are joined by
a contrast ("but", "however", "although") with the aspect that weighs most after it, and a
good share of reviews contains negations, so word counting misleads on a
measurable slice.  Used by the world generator (feedback) and modelled in 04.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..schema import ASPECTS
from . import review_phrases as P

# level index: 0 strong negative, 1 mild negative, 2 neutral, 3 mild positive, 4 strong positive
_LEVEL_EDGES = np.array([-1.2, -0.4, 0.4, 1.2])
_P_NEGATED = np.array([0.15, 0.4, 0.2, 0.4, 0.15])  # chance of a negated phrasing, per level
_TYPO_RATE = 0.03
# Scoped negation: a mild level written as a negated frame around a plain clause of the opposite
# polarity ("I wouldn't say the fit is perfect" is mildly negative). The clause's own words point the
# other way, so bag-of-words models read these backwards; a share of each mild level's negated cell.
_SCOPE_SOURCES = {1: (3, 4), 3: (0, 1)}  # mild negative wraps positive clauses, mild positive negative ones
_SCOPE_SHARE = 0.6
_CLAUSE_VERB = re.compile(  # clauses with a subject and verb can follow a frame ("I wouldn't say <clause>")
    r"^(?:the [a-z]+(?: [a-z]+)?|it|delivery|shipping) (?:is|was|fits|looks|feels|seems|arrived|runs)\b")
NEGATION_RE = re.compile(r"\b(?:not|no|never|nothing|neither|nor)\b|n't\b", re.IGNORECASE)

# connectors: (text, next clause capitalised?)
_CONNECTORS = (
    ("", True), ("Although ", False), (". ", True), (". Although ", False), (", ", False),  # 0-4
    (" and ", False), (", and ", False), (". Also, ", False), (", ", False),  # 5-8: joins
    (" but ", False), (", but ", False), (". However, ", False), (". That said, ", False), (", yet ", False),
)
_JOINS = np.array([5, 6, 7, 8, 2])
_CONTRASTS = np.array([9, 10, 11, 12, 13])
_P_ALTHOUGH = 0.2
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


def _expand(template: str, weight: float) -> list[tuple[str, float]]:
    """The template with its intensifier/hedge filled in every way, sharing ``weight`` equally."""
    fills = P.STRONG if "{i}" in template else P.HEDGE if "{h}" in template else ("",)
    return [(template.replace("{i}", f).replace("{h}", f), weight / len(fills)) for f in fills]


def _with_scoped(entries: list[tuple[str, float]], aspect: str, level: int) -> list[tuple[str, float]]:
    """Add scoped negations (P.SCOPES around opposite-polarity plain clauses) as _SCOPE_SHARE of the cell."""
    inner = [t for lv in _SCOPE_SOURCES[level] for t in P.PHRASES[aspect][lv][0] if _CLAUSE_VERB.search(t)]
    scoped = [e for t in inner for frame in P.SCOPES for e in _expand(frame.replace("{c}", t), 1.0)]
    own, new = sum(w for _, w in entries), sum(w for _, w in scoped)
    return ([(t, w * (1 - _SCOPE_SHARE) / own) for t, w in entries]
            + [(t, w * _SCOPE_SHARE / new) for t, w in scoped])


@lru_cache(maxsize=1)
def _clause_table() -> _Table:
    """Flatten P.PHRASES (with intensifiers expanded) into arrays indexed by cell = (aspect, level, negated)."""
    low: list[str] = []
    cum: list[float] = []
    for a, aspect in enumerate(ASPECTS):
        for lv in range(5):
            for g, group in enumerate(P.PHRASES[aspect][lv]):
                cell = (a * 5 + lv) * 2 + g
                entries: list[tuple[str, float]] = []
                for t in group:  # each template gets equal weight, split over its fillers
                    entries += _expand(t, 1.0)
                if g == 1 and lv in _SCOPE_SOURCES:
                    entries = _with_scoped(entries, aspect, lv)
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
    rng: np.random.Generator, sentiment: np.ndarray, mentioned: np.ndarray, product_name: list[str],
    weights: np.ndarray | None = None,
) -> ReviewTexts:
    """Write one review per row from its (n, 5) aspect sentiments in [-2, 2] and mention mask.

    Columns follow labkit.schema.ASPECTS. The dominant aspect (written last, after a contrast)
    is the one that weighs most in the rating: largest ``|sentiment| * weights`` (default: equal
    weights). Used by the world generator (feedback); 04 models the texts.
    """
    s, m, names = _check(rng, sentiment, mentioned, product_name)
    w = np.ones(s.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (s.shape[1],) or not np.all(w > 0):
        raise ValueError(f"weights: expected {s.shape[1]} positive numbers (one per aspect), got {weights!r}")
    n, n_asp = s.shape
    tab = _clause_table()
    rows = np.arange(n)
    u = rng.random((n, n_asp, 3))
    level = np.digitize(s, _LEVEL_EDGES)
    negated = u[..., 0] < _P_NEGATED[level]
    cell = (np.arange(n_asp)[None, :] * 5 + level) * 2 + negated
    var = np.searchsorted(tab.cum, cell + u[..., 1], side="right")

    # the dominant aspect (largest weighted |sentiment|) goes after the contrast connective
    sign = np.sign(level - 2) * m
    dom = np.argmax(np.where(m, np.abs(s) * w, -1.0) + 1e-6 * u[..., 2], axis=1)
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
    pre_idx = (r[:, 7] * len(P.PRE)).astype(int)
    parts[pre, 0] = _slot_fill(P.PRE, pre_idx[pre], names[pre]) + " "
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
    ci = (r[:, 10] * len(P.CLOSE_POS)).astype(int)
    close_text = np.array([" " + c[0] for c in P.CLOSE_POS + P.CLOSE_NEG], dtype=object)
    close_neg = np.array([c[1] for c in P.CLOSE_POS + P.CLOSE_NEG])
    cidx = ci + len(P.CLOSE_POS) * (dom_sign < 0)
    parts[closing, 2 * n_asp + 2] = close_text[cidx[closing]]
    post = (r[:, 11] < 0.12) & ~closing
    post_idx = (r[:, 12] * len(P.POST)).astype(int)
    parts[post, 2 * n_asp + 3] = " " + _slot_fill(P.POST, post_idx[post], names[post])
    texts = ["".join(p) for p in parts.tolist()]

    typo_u = rng.random((n, 3))
    has_typo = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(typo_u[:, 0] < _TYPO_RATE):
        new = add_typo(texts[i], typo_u[i, 1], typo_u[i, 2])
        has_typo[i] = new != texts[i]
        texts[i] = new
    has_negation = (m & negated).any(axis=1) | (closing & close_neg[cidx])
    return ReviewTexts(texts, has_negation, contrast.copy(), has_typo)
