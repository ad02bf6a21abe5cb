"""Tests for the synthetic product images, product texts, reviews and support messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

from labkit.schema import ASPECTS, INTENTS
from labkit.world import reviews as rv
from labkit.world.images import IMAGE_CATEGORIES, PATTERNS, render_images, save_png
from labkit.world.messages import compose_messages
from labkit.world.reviews import ReviewTexts, compose_reviews
from labkit.world.text import (
    FEATURE_SYNONYMS,
    FEATURES_BY_CATEGORY,
    MATERIALS_BY_CATEGORY,
    SUBCATEGORIES,
    product_texts,
)

CATS = ("tops", "bottoms", "shoes", "bags", "home", "electronics")


# --- images ------------------------------------------------------------------------


def _image_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    cat = rng.integers(0, 6, n)
    shade = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    pat = rng.integers(0, 4, n)
    return cat, shade, pat


def _foreground(img: np.ndarray, f: int) -> np.ndarray:
    """Rough object mask (distance from the corner colour), pooled to (n, size/f * size/f)."""
    x = img.astype(np.float32) / 255
    n, s = x.shape[:2]
    corner = np.concatenate([x[:, :2, :2].reshape(n, -1, 3), x[:, -2:, :2].reshape(n, -1, 3)], 1).mean(1)
    d = np.abs(x - corner[:, None, None, :]).sum(-1) > 0.12
    return d.reshape(n, s // f, f, s // f, f).mean((2, 4)).reshape(n, -1)


def test_images_shape_dtype_and_constants():
    cat, shade, pat = _image_inputs(12)
    img = render_images(np.random.default_rng(1), cat, shade, pat, size=32)
    assert img.shape == (12, 32, 32, 3) and img.dtype == np.uint8
    assert IMAGE_CATEGORIES == CATS and PATTERNS == ("solid", "striped", "dotted", "checked")
    empty = render_images(np.random.default_rng(1), cat[:0], shade[:0], pat[:0])
    assert empty.shape == (0, 64, 64, 3)


def test_images_deterministic():
    cat, shade, pat = _image_inputs(20)
    a = render_images(np.random.default_rng(7), cat, shade, pat)
    b = render_images(np.random.default_rng(7), cat, shade, pat)
    c = render_images(np.random.default_rng(8), cat, shade, pat)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_category_silhouettes_differ():
    n = 600
    cat, shade, pat = _image_inputs(n, seed=2)
    masks = _foreground(render_images(np.random.default_rng(3), cat, shade, pat, size=32), 2)
    means = np.stack([masks[cat == k].mean(0) for k in range(6)])
    for a in range(6):
        for b in range(a + 1, 6):
            assert np.abs(means[a] - means[b]).mean() > 0.05, (CATS[a], CATS[b])


def _softmax_regression(x: np.ndarray, y: np.ndarray, k: int, steps: int = 300) -> np.ndarray:
    """Tiny multinomial logistic regression by gradient descent; returns weights (d+1, k)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros((xb.shape[1], k))
    onehot = np.eye(k)[y]
    for _ in range(steps):
        z = xb @ w
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= 0.5 * (xb.T @ (p - onehot) / len(x) + 1e-3 * w)
    return w


def test_category_learnable_from_pixels():
    n, n_train = 900, 600
    cat, shade, pat = _image_inputs(n, seed=4)
    x = _foreground(render_images(np.random.default_rng(5), cat, shade, pat, size=32), 4)
    w = _softmax_regression(x[:n_train], cat[:n_train], 6)
    pred = np.argmax(np.hstack([x[n_train:], np.ones((n - n_train, 1))]) @ w, axis=1)
    assert (pred == cat[n_train:]).mean() > 0.6  # chance is 1/6


def test_shade_and_pattern_recoverable():
    n = 400
    cat, shade, pat = _image_inputs(n, seed=6)
    img = render_images(np.random.default_rng(9), cat, shade, pat)
    fg = _foreground(img, 1).reshape(n, 64, 64) > 0
    for _ in range(2):  # erode: keep the object's interior
        e = fg.copy()
        e[:, 1:] &= fg[:, :-1]
        e[:, :-1] &= fg[:, 1:]
        e[:, :, 1:] &= fg[:, :, :-1]
        e[:, :, :-1] &= fg[:, :, 1:]
        fg = e
    med = np.array([np.median(img[i][fg[i]], axis=0) for i in range(n)])
    solid = pat == 0
    assert np.corrcoef(med[solid].ravel(), shade[solid].astype(float).ravel())[0, 1] > 0.9
    far = np.array([(np.abs(img[i][fg[i]] - med[i]).sum(1) > 60).mean() for i in range(n)])
    assert ((far > 0.06) == ~solid).mean() > 0.95  # patterned fills are visibly two-tone


def test_images_bad_parameters():
    cat, shade, pat = _image_inputs(5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="size"):
        render_images(rng, cat, shade, pat, size=8)
    with pytest.raises(ValueError, match="pattern"):
        render_images(rng, cat, shade, pat[:4])
    with pytest.raises(ValueError, match="shade_rgb"):
        render_images(rng, cat, shade[:3], pat)
    with pytest.raises(ValueError, match="category"):
        render_images(rng, cat + 6, shade, pat)


def test_save_png_roundtrip(tmp_path):
    from PIL import Image

    cat, shade, pat = _image_inputs(1)
    img = render_images(np.random.default_rng(0), cat, shade, pat, size=16)[0]
    save_png(img, tmp_path / "x.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "x.png")), img)
    with pytest.raises(ValueError, match="image"):
        save_png(img[..., 0], tmp_path / "y.png")


# --- product texts -----------------------------------------------------------------


def _products(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    cat = [CATS[i] for i in rng.integers(0, 6, n)]
    sub = [SUBCATEGORIES[c][rng.integers(len(SUBCATEGORIES[c]))] for c in cat]
    brand = [("Northwind", "Lumen", "Aurora Lane")[i] for i in rng.integers(0, 3, n)]
    colour = [("black", "white", "grey", "navy", "red", "beige")[i] for i in rng.integers(0, 6, n)]
    mat = [MATERIALS_BY_CATEGORY[c][rng.integers(len(MATERIALS_BY_CATEGORY[c]))] for c in cat]
    feat = [FEATURES_BY_CATEGORY[c][rng.integers(len(FEATURES_BY_CATEGORY[c]))] if rng.random() < 0.5 else ""
            for c in cat]
    return cat, sub, brand, colour, mat, feat, rng.normal(size=n)


def test_text_constants():
    for d in (SUBCATEGORIES, MATERIALS_BY_CATEGORY, FEATURES_BY_CATEGORY):
        assert tuple(d) == CATS
    assert all(2 <= len(v) <= 4 for v in SUBCATEGORIES.values())
    for feats in FEATURES_BY_CATEGORY.values():
        assert all(FEATURE_SYNONYMS[f][0] == f for f in feats)


def test_product_texts_material_feature_always_present():
    args = _products(1500)
    titles, descs = product_texts(np.random.default_rng(1), *args)
    assert len(titles) == len(descs) == 1500
    _, _, _, _, mat, feat, _ = args
    for t, d, m, f in zip(titles, descs, mat, feat):
        assert m in d  # verbatim, lower case
        if f:
            text = (t + " " + d).lower()
            assert any(s.lower() in text for s in FEATURE_SYNONYMS[f])
        else:  # no feature word leaks into products without one
            assert not any(s.lower() in d.lower() for syns in FEATURE_SYNONYMS.values() for s in syns)
        assert "  " not in t + d and "{" not in t + d and t == t.strip()
    assert len(set(titles)) > 1000 and len({d.split(".")[0] for d in descs}) > 500


def test_product_texts_deterministic_and_weak_quality_signal():
    args = _products(3000, seed=2)
    a = product_texts(np.random.default_rng(5), *args)
    assert a == product_texts(np.random.default_rng(5), *args)
    assert a != product_texts(np.random.default_rng(6), *args)
    q = args[-1]
    premium = np.array([bool(re.search(r"premium|luxury|bestsell|top-rated", t + d, re.I)) for t, d in zip(*a)])
    hi, lo = premium[q > 1].mean(), premium[q < -1].mean()
    assert hi > lo + 0.08 and lo > 0.05  # a real but weak signal


def test_product_texts_bad_input():
    cat, sub, brand, colour, mat, feat, q = _products(5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="brand"):
        product_texts(rng, cat, sub, brand[:4], colour, mat, feat, q)
    with pytest.raises(ValueError, match="category"):
        product_texts(rng, ["toys"] + cat[1:], sub, brand, colour, mat, feat, q)


# --- reviews -----------------------------------------------------------------------


def _review_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    s = rng.uniform(-2, 2, (n, 5))
    k = rng.choice([1, 2, 3], n, p=[0.35, 0.45, 0.2])
    rank = np.argsort(np.argsort(-rng.random((n, 5)), axis=1), axis=1)
    return s, rank < k[:, None], [("t-shirt", "mug", "sneakers")[i] for i in rng.integers(0, 3, n)]


def test_reviews_shapes_and_determinism():
    s, m, names = _review_inputs(500)
    a = compose_reviews(np.random.default_rng(1), s, m, names)
    assert isinstance(a, ReviewTexts) and len(a.texts) == 500
    for flag in (a.has_negation, a.has_contrast, a.has_typo):
        assert flag.dtype == bool and flag.shape == (500,)
    b = compose_reviews(np.random.default_rng(1), s, m, names)
    c = compose_reviews(np.random.default_rng(2), s, m, names)
    assert a.texts == b.texts and np.array_equal(a.has_negation, b.has_negation)
    assert a.texts != c.texts
    assert all(t and "  " not in t and "{" not in t for t in a.texts)
    assert 0.005 < a.has_typo.mean() < 0.08


def test_phrase_bank_size_and_negation_marking():
    for aspect in ASPECTS:
        assert len(rv.P.PHRASES[aspect]) == 5
        for plain, negated in rv.P.PHRASES[aspect]:
            assert len(plain) + len(negated) >= 6
            assert not any(rv.NEGATION_RE.search(t) for t in plain)
            assert all(rv.NEGATION_RE.search(t) for t in negated)


def test_negation_share_and_word_counting_misleads():
    s, m, names = _review_inputs(6000, seed=3)
    r = compose_reviews(np.random.default_rng(4), s, m, names)
    assert r.has_negation.mean() >= 0.25
    pos = set("good great excellent nice perfect perfectly happy best fast quick well lovely beautiful gorgeous "
              "stunning amazing superb fair decent comfortable smooth affordable bargain worth pretty".split())
    neg = set("bad terrible awful poor slow small tight loose ugly disappointing disappoint dull thin flimsy "
              "overpriced expensive pricey late dented wrong hideous tacky rude dreadful ridiculous".split())
    one = m.sum(1) == 1
    s1 = np.where(m, s, 0).sum(1)  # the single mentioned sentiment
    mild = one & (np.abs(s1) > 0.4) & (np.abs(s1) < 1.2) & ~r.has_typo
    naive_ok = []
    for t, v in zip(r.texts, s1):
        words = re.findall(r"[a-z]+", t.lower())  # naive: count words, ignore negation
        score = sum(w in pos for w in words) - sum(w in neg for w in words)
        naive_ok.append(np.sign(score) == np.sign(v))
    naive_ok = np.array(naive_ok)
    negd = mild & r.has_negation
    assert (negd & (s1 > 0)).sum() > 50 and (negd & (s1 < 0)).sum() > 50  # both polarities
    assert naive_ok[negd].mean() < 0.3 < 0.6 < naive_ok[mild & ~r.has_negation].mean()


def _expanded(aspect: str, level: int) -> list[str]:
    out = []
    for group in rv.P.PHRASES[aspect][level]:
        for t in group:
            out += [t.replace("{i}", f).replace("{h}", f) for f in rv.P.STRONG + rv.P.HEDGE]
    return [t.lower() for t in out]


def test_contrast_dominant_aspect_after_connective():
    n = 3000
    rng = np.random.default_rng(5)
    s = np.zeros((n, 5))
    strong = rng.uniform(1.3, 2.0, n) * rng.choice([-1, 1], n)
    weak = -np.sign(strong) * rng.uniform(0.5, 1.1, n)
    swap = rng.random(n) < 0.5  # dominant is quality (col 0) or delivery (col 2)
    s[:, 0] = np.where(swap, weak, strong)
    s[:, 2] = np.where(swap, strong, weak)
    m = np.zeros((n, 5), bool)
    m[:, [0, 2]] = True
    r = compose_reviews(np.random.default_rng(6), s, m, ["mug"] * n)
    assert r.has_contrast.all()
    level = np.digitize(s, rv._LEVEL_EDGES)
    checked = 0
    for i in np.flatnonzero(~r.has_typo)[:800]:
        t = r.texts[i].lower()
        if t.startswith("although") or ". although" in t:
            after = t.split("although", 1)[1].split(", ", 1)[1]
        else:
            parts = re.split(r"\bbut\b|\bhowever\b|\bthat said\b|\byet\b", t)
            assert len(parts) == 2, t
            after = parts[1]
        dom = 2 if swap[i] else 0
        other = 0 if swap[i] else 2
        assert any(p in after for p in _expanded(ASPECTS[dom], level[i, dom])), t
        assert not any(p in after for p in _expanded(ASPECTS[other], level[i, other])), t
        checked += 1
    assert checked > 700


def test_weights_pick_the_aspect_written_after_the_contrast():
    n = 400
    s = np.zeros((n, 5))
    s[:, 0], s[:, 2] = -1.0, 0.9  # quality a bit bad, delivery a bit good: both mild
    m = s != 0
    after = []
    for weights in (np.ones(5), np.array([0.5, 1, 2, 1, 1])):  # |s| decides, then delivery's weight does
        r = compose_reviews(np.random.default_rng(9), s, m, ["mug"] * n, weights=weights)
        texts = [t.lower() for t, typo in zip(r.texts, r.has_typo) if not typo and "although" not in t.lower()]
        tails = [re.split(r"\bbut\b|\bhowever\b|\bthat said\b|\byet\b", t)[1] for t in texts]
        after.append(np.mean([bool(re.search(r"quality|fabric|material|stitch|made", tail))
                              and not re.search(r"deliver|arriv|ship|parcel|courier|box", tail) for tail in tails]))
    assert after[0] > 0.95 and after[1] < 0.05


def test_no_contrast_without_opposite_signs():
    n = 500
    s = np.full((n, 5), 1.5)
    m = np.zeros((n, 5), bool)
    m[:, :3] = True
    r = compose_reviews(np.random.default_rng(0), s, m, ["mug"] * n)
    assert not r.has_contrast.any()


def test_scoped_negation_wraps_opposite_clauses_and_fools_bag_of_words():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    n = 8000
    rng = np.random.default_rng(7)
    col = rng.integers(0, 5, n)
    value = rng.uniform(0.45, 2.0, n) * rng.choice([-1, 1], n)  # one aspect per review, any non-neutral level
    s = np.zeros((n, 5))
    s[np.arange(n), col] = value
    r = compose_reviews(np.random.default_rng(8), s, s != 0, ["mug"] * n)
    level = np.digitize(value, rv._LEVEL_EDGES)
    frames = re.compile("|".join(re.escape(f.split(" {c}")[0]) for f in rv.P.SCOPES))
    scoped = np.array([bool(frames.search(t)) for t in r.texts])
    negated_closings = [c for c, negated in rv.P.CLOSE_POS + rv.P.CLOSE_NEG if negated]
    closing = np.array([any(c in t for c in negated_closings) for t in r.texts])
    assert r.has_negation[scoped].all() and set(level[scoped]) == set(rv._SCOPE_SOURCES)
    mild_negated = r.has_negation & ~closing & np.isin(level, list(rv._SCOPE_SOURCES))
    assert abs(scoped[mild_negated].mean() - rv._SCOPE_SHARE) < 0.06
    for i in np.flatnonzero(scoped & ~r.has_typo)[:300]:  # the wrapped clause has the opposite polarity
        inner = re.split(r"[.!]", frames.split(r.texts[i], maxsplit=1)[1])[0].strip().lower()
        sources = [t for lv in rv._SCOPE_SOURCES[level[i]] for t in _expanded(ASPECTS[col[i]], lv)]
        assert inner in sources, r.texts[i]
    # word 1-2-grams + a linear model: near perfect on other phrasings, wrong on about half the scoped ones
    y = (value > 0).astype(int)
    X = CountVectorizer(ngram_range=(1, 2)).fit_transform(r.texts)
    train = np.arange(n) < n // 2
    ok = LogisticRegression(C=1.0, max_iter=3000).fit(X[train], y[train]).predict(X[~train]) == y[~train]
    assert ok[~scoped[~train]].mean() > 0.97 and ok[scoped[~train]].mean() < 0.6


def test_reviews_bad_input():
    s, m, names = _review_inputs(4)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sentiment"):
        compose_reviews(rng, s * 2, m, names)
    with pytest.raises(ValueError, match="mentioned"):
        compose_reviews(rng, s, m[:, :4], names)
    with pytest.raises(ValueError, match="product_name"):
        compose_reviews(rng, s, m, names[:3])
    with pytest.raises(ValueError, match="mentioned"):
        compose_reviews(rng, s, np.zeros_like(m), names)
    with pytest.raises(ValueError, match="weights"):
        compose_reviews(rng, s, m, names, weights=np.ones(4))


# --- messages ----------------------------------------------------------------------


def test_messages_all_intents_and_determinism():
    n = 4000
    rng = np.random.default_rng(0)
    intent = np.array(INTENTS)[rng.integers(0, len(INTENTS), n)]
    refs = [f"#A{100000 + i}" if rng.random() < 0.6 else None for i in range(n)]
    names = [("hoodie", "jeans", "mug")[i] for i in rng.integers(0, 3, n)]
    a = compose_messages(np.random.default_rng(1), intent, refs, names)
    assert a == compose_messages(np.random.default_rng(1), intent, refs, names)
    assert a != compose_messages(np.random.default_rng(2), intent, refs, names)
    assert len(a) == n and all(t and "{" not in t and "  " not in t for t in a)
    for it in INTENTS:
        texts = [t for t, i in zip(a, intent) if i == it]
        assert len(set(texts)) > 20, it  # many paraphrases per intent
    with_ref = [ref in t for t, ref in zip(a, refs) if ref is not None]
    assert np.mean(with_ref) > 0.3  # refs appear whenever a template names the order
    assert sum("order" in t.lower() for t in a) > n / 4  # shared vocabulary across intents


def test_messages_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="complain"):
        compose_messages(rng, np.array(["order_status", "complain"]), [None, None], ["mug", "mug"])
    with pytest.raises(ValueError, match="product_name"):
        compose_messages(rng, np.array(["order_status"]), [None], [])
