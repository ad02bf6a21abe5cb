"""04_bert building blocks: MiniLM fine-tuning, embeddings, attributions, text baselines, text loaders.

Fast (about a minute on one thread): tiny texts, max_length 16, one epoch. The real-data
tests read $LABKIT_REAL_DATA (skipped when unset, failing under LABKIT_REQUIRE_REAL_DATA=1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from labkit import schema as S  # noqa: E402
from labkit.datasets.text_data import (  # noqa: E402
    load_bitext, load_text_file, load_womens_reviews, random_parts,
)
from labkit.models.text import bert  # noqa: E402
from labkit.models.text.attributions import token_attributions  # noqa: E402
from labkit.models.text.embeddings import embed  # noqa: E402
from labkit.evaluation.multiclass import apply_bias, class_bias_tuning, macro_f1_report  # noqa: E402
from labkit.models.text.baselines import fit_embedding_logreg, fit_tfidf_logreg  # noqa: E402

POS = ["love this dress", "great fit and lovely colour", "really happy with it", "beautiful and comfortable"]
NEG = ["awful quality", "terrible fit, sending it back", "not happy at all", "cheap fabric and ugly"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def classifier():
    return bert.load_classifier("minilm", num_labels=2, seed=0)


def _tiny(n: int = 64) -> tuple[list[str], list[int]]:
    texts = [(POS if i % 2 else NEG)[(i // 2) % 4] for i in range(n)]
    return texts, [i % 2 for i in range(n)]


def test_resolve_model():
    path = Path(bert.resolve_model(None))
    assert (path / "config.json").is_file() and bert.resolve_model("minilm") == str(path)
    assert json.loads((path / "config.json").read_text())["hidden_size"] == 384
    assert bert.resolve_model("bert-base-uncased") == "bert-base-uncased"
    with pytest.raises(ValueError, match="model"):
        bert.resolve_model("  ")


def test_scratch_has_same_config_other_weights(classifier):
    model, _ = classifier
    scratch, _ = bert.load_classifier(None, num_labels=2, scratch=True, seed=0)
    assert scratch.config.to_dict()["hidden_size"] == model.config.hidden_size
    assert scratch.config.num_hidden_layers == model.config.num_hidden_layers == 6
    assert sum(p.numel() for p in scratch.parameters()) == sum(p.numel() for p in model.parameters())
    a = model.bert.encoder.layer[0].attention.self.query.weight
    b = scratch.bert.encoder.layer[0].attention.self.query.weight
    assert a.shape == b.shape and not torch.allclose(a, b)
    with pytest.raises(ValueError, match="num_labels"):
        bert.load_classifier(None, num_labels=1)


def test_fine_tune_predict_and_attributions(tmp_path):
    model, tok = bert.load_classifier(None, num_labels=2, seed=0)
    texts, y = _tiny(64)
    vt, vy = texts[:6] + ["not happy with it", "love it"], y[:6] + [0, 1]
    model, hist = bert.fine_tune(model, tok, texts, y, vt, vy, lr=1e-4, epochs=2, batch_size=16,
                                 max_length=16, output_dir=tmp_path / "ft", seed=0)
    assert list(hist["epoch"]) == [1, 2]
    assert {"train_loss", "valid_loss", "valid_macro_f1", "valid_accuracy"} <= set(hist.columns)
    assert hist.attrs["best_epoch"] == hist["epoch"][hist["valid_macro_f1"].idxmax()]
    assert hist.attrs["samples_per_s"] > 0
    assert not list((tmp_path / "ft").glob("checkpoint-*"))  # deleted unless keep_checkpoints
    best = macro_f1_report(np.array(vy), bert.predict_proba(model, tok, vt, max_length=16).argmax(1))["macro_f1"]
    assert best == pytest.approx(hist.attrs["best_valid_macro_f1"])  # the best epoch's weights came back
    probs = bert.predict_proba(model, tok, texts[:10] + ["a much longer text " * 20], max_length=16, batch_size=4)
    assert probs.shape == (11, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    attr = token_attributions(model, tok, "not happy at all", target=0)
    assert [t for t, _ in attr] == tok.tokenize("not happy at all")
    assert all(np.isfinite(s) for _, s in attr)
    assert len(token_attributions(model, tok, "not happy", special_tokens=True)) == len(tok("not happy")["input_ids"])
    with pytest.raises(ValueError, match="train_labels"):
        bert.fine_tune(model, tok, texts, [5] * 64, texts, y, epochs=1, output_dir=tmp_path / "bad")
    with pytest.raises(ValueError, match="length_bucket"):
        bert.fine_tune(model, tok, texts, y, vt, vy, epochs=1, length_bucket=0)
    _, hist = bert.fine_tune(model, tok, texts, y, vt, vy, lr=1e-4, epochs=1, batch_size=16, max_length=16,
                             output_dir=tmp_path / "bucket", seed=0, length_bucket=2)
    assert list(hist["epoch"]) == [1] and np.isfinite(hist["train_loss"]).all()
    with pytest.raises(ValueError, match=r"class_weights: expected 2 positive finite weights"):
        bert.fine_tune(model, tok, texts, y, vt, vy, epochs=1, class_weights=[1.0, 0.0])


def test_class_weights_set_the_trainers_loss_and_move_the_model_to_the_rare_class(tmp_path):
    """04b: the weighted cross-entropy replaces the model's loss; a heavy weight on class 0 makes it predicted."""
    texts, y = _tiny(64)
    preds = {}
    for name, weights in (("plain", None), ("class 0 x20", [20.0, 1.0])):
        model, tok = bert.load_classifier(None, num_labels=2, seed=0)
        model, hist = bert.fine_tune(model, tok, texts, y, texts[:8], y[:8], lr=3e-4, epochs=1, batch_size=16,
                                     max_length=16, output_dir=tmp_path / name, seed=0, class_weights=weights)
        assert np.isfinite(hist["train_loss"]).all()
        preds[name] = bert.predict_proba(model, tok, texts, max_length=16)[:, 0].mean()
    assert preds["class 0 x20"] > preds["plain"] + 0.1  # measured: 0.69 vs 0.52


def test_embed_shape_and_determinism():
    texts = ["hello there", "the parcel is late", "the parcel is late"]
    e1 = embed(texts, max_length=32)
    e2 = embed(list(reversed(texts)), max_length=32, batch_size=1)[::-1]
    assert e1.shape == (3, 384) and e1.dtype == np.float32
    assert np.allclose(np.linalg.norm(e1, axis=1), 1, atol=1e-5)
    assert np.allclose(e1, e2, atol=1e-5) and np.allclose(e1[1], e1[2])
    with pytest.raises(ValueError, match="one string"):
        embed("a single string")


def _synthetic_task(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    filler = ["the", "item", "arrived", "today", "and", "it", "is", "a", "shirt", "dress"]
    cue = {0: ["awful", "broken", "refund"], 1: ["okay", "average", "fine"], 2: ["perfect", "lovely", "great"]}
    y = rng.integers(0, 3, n)
    texts = [" ".join(list(rng.choice(filler, 6)) + [rng.choice(cue[int(c)])]) for c in y]
    return texts, y


def test_tfidf_beats_chance_and_embedding_baseline():
    xt, yt = _synthetic_task(300, 0)
    xv, yv = _synthetic_task(100, 1)
    xs, ys = _synthetic_task(200, 2)
    tfidf = fit_tfidf_logreg(xt, yt, xv, yv)
    rep = macro_f1_report(ys, tfidf.predict(xs), S.SENTIMENTS)
    assert rep["macro_f1"] > 0.8 and rep["accuracy"] > 0.8 and "recall_neutral" in rep
    assert len(tfidf.scores) == 6 and tfidf.C in set(tfidf.scores["C"])
    rng = np.random.default_rng(0)
    et = rng.normal(size=(300, 8)) + np.eye(3, 8)[yt] * 3
    ev = rng.normal(size=(100, 8)) + np.eye(3, 8)[yv] * 3
    emb = fit_embedding_logreg(et, yt, ev, yv)
    assert macro_f1_report(yv, emb.predict(ev))["macro_f1"] > 0.8
    with pytest.raises(ValueError, match="y_train"):
        fit_tfidf_logreg(xt, np.zeros(300, dtype=int), xv, yv)
    both = fit_tfidf_logreg(xt, yt, xv, yv, class_weights=(None, "balanced"))  # 04b's grid
    assert len(both.scores) == 12 and set(both.scores["class_weight"]) == {"None", "balanced"}
    assert both.scores["valid_macro_f1"].max() >= tfidf.scores["valid_macro_f1"].max()
    with pytest.raises(ValueError, match="class_weights: expected a grid of None and/or 'balanced'"):
        fit_tfidf_logreg(xt, yt, xv, yv, class_weights=("sqrt",))


def test_macro_f1_report_counts_unpredicted_class():
    rep = macro_f1_report(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 1]), ["a", "b", "c"])
    assert rep["f1_c"] == 0 and rep["recall_c"] == 0 and rep["accuracy"] == 0.5
    assert rep["macro_f1"] == pytest.approx((1 + 0.5 + 0) / 3)
    with pytest.raises(ValueError, match="class ids"):
        macro_f1_report(np.array([0, 3]), np.array([0, 1]), ["a", "b"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_class_bias_tuning_never_lowers_valid_macro_f1(seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, 400, p=[0.15, 0.2, 0.65])
    logits = rng.normal(size=(400, 3)) + np.eye(3)[y] * 1.0 + np.array([0, 0, 1.0])  # biased to class 2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    bias = class_bias_tuning(probs, y)
    before = macro_f1_report(y, probs.argmax(1))["macro_f1"]
    adjusted = apply_bias(probs, bias)
    assert np.allclose(adjusted.sum(1), 1)
    assert bias[0] == 0 and macro_f1_report(y, adjusted.argmax(1))["macro_f1"] >= before
    with pytest.raises(ValueError, match="probs_valid"):
        class_bias_tuning(probs[:10], y)


def test_load_text_file_errors_name_file_and_column(tmp_path):
    good = tmp_path / "mine.csv"
    pd.DataFrame({"body": ["fine", "bad", "ok"], "tag": ["pos", "neg", "pos"]}).to_csv(good, index=False)
    out = load_text_file(good, "body", "tag", verbose=False)
    assert list(out[S.TEXT]) == ["fine", "bad", "ok"] and list(out["label_id"]) == [1, 0, 1]
    assert out.attrs["labels"] == ["neg", "pos"]
    with pytest.raises(ValueError, match=r"mine\.csv: missing column\(s\) 'text'"):
        load_text_file(good, "text", "tag")
    jl = tmp_path / "mine.jsonl"
    jl.write_text('{"t": "hello", "y": "a"}\n{"t": "", "y": "b"}\n{"t": "  ", "y": "a"}\n')
    with pytest.raises(ValueError, match=r"mine\.jsonl: column 't'.*2 empty of 3 \(rows 1, 2\)"):
        load_text_file(jl, "t", "y")
    flagged = load_text_file(jl, "t", "y", allow_empty=True, verbose=False)
    assert flagged["empty_text"].tolist() == [False, True, True]
    with pytest.raises(ValueError, match=r"mine\.jsonl: column 'y': expected one of \['a'\]"):
        load_text_file(jl, "t", "y", labels=["a"], allow_empty=True)
    with pytest.raises(FileNotFoundError):
        load_text_file(tmp_path / "nope.csv", "t", "y")


def test_womens_and_bitext_loaders_on_fixtures(tmp_path):
    folder = tmp_path / "womens_clothing_reviews"
    folder.mkdir()
    rows = pd.DataFrame({"Unnamed: 0": [0, 1, 2], "Title": ["Love it!", None, None],
                         "Review Text": ["Fits well", "Too small", None], "Rating": [5, 2, 3],
                         "Recommended IND": [1, 0, 1]})
    rows.to_csv(folder / "womens_clothing_ecommerce_reviews.csv", index=False)
    df = load_womens_reviews(tmp_path, verbose=False)
    assert df[S.TEXT].tolist() == ["Love it! Fits well", "Too small", ""]
    assert df[S.SENTIMENT].tolist() == [2, 0, 1] and df["empty_text"].tolist() == [False, False, True]
    assert df.attrs["empty_texts"] == 1
    rows.assign(Rating=[5, 6, 3]).to_csv(folder / "womens_clothing_ecommerce_reviews.csv", index=False)
    with pytest.raises(ValueError, match=r"womens_clothing_ecommerce_reviews\.csv: column 'Rating': "
                                         r"expected whole stars 1\.\.5, found 1 bad value\(s\) such as '6' \(row 1\)"):
        load_womens_reviews(tmp_path, verbose=False)
    rows.drop(columns="Recommended IND").to_csv(folder / "womens_clothing_ecommerce_reviews.csv", index=False)
    with pytest.raises(ValueError, match="missing column.*'Recommended IND'"):
        load_womens_reviews(tmp_path, verbose=False)
    bit = tmp_path / "b.csv"
    bit.write_text("\ufeffflags,utterance,category,intent\nB,cancel my order,ORDER,cancel_order\n"
                   "B,where is my refund,REFUND,track_refund\n", encoding="utf-8")
    b = load_bitext(bit, verbose=False)
    assert b[S.INTENT_ID].tolist() == [0, 1] and b.attrs["intents"] == ["cancel_order", "track_refund"]
    bit.write_text("flags,utterance,category\nB,cancel my order,ORDER\n")
    with pytest.raises(ValueError, match=r"b\.csv: missing column\(s\) 'intent'"):
        load_bitext(bit, verbose=False)


def test_random_parts_stratified():
    y = np.repeat([0, 1, 2], [100, 200, 700])
    part = random_parts(y, seed=0)
    assert (part == "test").sum() == 150 and (part == "valid").sum() == 150
    assert (y[part == "test"] == 0).sum() == 15
    assert np.array_equal(part, random_parts(y, seed=0))


@pytest.mark.real_data
def test_real_womens_reviews(real_data):
    df = load_womens_reviews(real_data, verbose=False)
    assert len(df) == 23_486 and df.attrs["empty_reviews"] == 845 and df.attrs["empty_texts"] == 844
    assert set(df[S.RATING]) == {1, 2, 3, 4, 5} and set(df["recommended"]) == {0, 1}
    assert df[S.SENTIMENT].value_counts().sort_index().tolist() == [2_407, 2_871, 18_208]
    assert df[S.REVIEW_ID].is_unique


@pytest.mark.real_data
def test_real_bitext(real_data):
    df = load_bitext(real_data, verbose=False)
    assert len(df) == 8_175 and len(df.attrs["intents"]) == 27 and df["category"].nunique() == 11
    assert df[S.INTENT_ID].between(0, 26).all() and (df[S.TEXT].str.len() > 0).all()
