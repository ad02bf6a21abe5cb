"""Purchase-intent helpers of 03_lstm: classification metrics, the sequence model, the baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit.evaluation.classification import (choose_threshold, classification_report, expected_calibration_error,
                                              reliability_table)

# ---------------------------------------------------------------- metrics on hand-made examples


def test_report_on_a_hand_made_example() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.9])
    r = classification_report(y, p, threshold=0.5)
    # predicted positive: 0.8, 0.7, 0.9 -> tp 2, fp 1, fn 1, tn 2
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3) and r["accuracy"] == pytest.approx(4 / 6)
    assert r["roc_auc"] == pytest.approx(7 / 9)  # 7 of the 9 (pos, neg) pairs ordered right
    assert r["base_rate"] == 0.5 and 0 <= r["ece"] <= 1 and r["log_loss"] > 0


def test_ece_of_a_calibrated_predictor_is_near_zero_and_of_a_biased_one_is_the_bias() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(1, 6, 200_000)
    y = (rng.random(len(p)) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, np.clip(p + 0.1, 0, 1)) == pytest.approx(0.1, abs=0.01)
    table = reliability_table(y, p, bins=15)
    assert len(table) == 15 and table["n"].sum() == len(p) and table["n"].max() - table["n"].min() <= 1
    assert (table["mean_p"].diff().dropna() >= 0).all()


def test_reliability_table_uniform_bins_and_exact_ece() -> None:
    y = np.array([0, 1, 1, 1])
    p = np.array([0.2, 0.2, 0.9, 0.9])  # bins of 2 rows: (0.2 vs 0.5) and (0.9 vs 1.0)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.5 * 0.3 + 0.5 * 0.1)
    t = reliability_table(y, p, bins=10, strategy="uniform")
    assert list(t["n"]) == [2, 2] and list(t["frac_pos"]) == [0.5, 1.0]


def test_choose_threshold_maximises_f1_on_validation() -> None:
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.9])
    # p >= 0.3: tp 4, fp 1 -> F1 8/9, the best; p >= 0.6: F1 6/7
    t = choose_threshold(y, p, "f1")
    assert t == pytest.approx(0.3)
    assert classification_report(y, p, t)["f1"] == pytest.approx(8 / 9)
    # accuracy 7/8 at both 0.3 and 0.6: ties go to the higher threshold
    assert choose_threshold(y, p, "accuracy") == pytest.approx(0.6)


def test_metric_input_errors() -> None:
    with pytest.raises(ValueError, match="same length"):
        classification_report([0, 1], [0.5])
    with pytest.raises(ValueError, match="probabilities"):
        classification_report([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="one class"):
        classification_report([1, 1], [0.5, 0.6])
    with pytest.raises(ValueError, match="metric"):
        choose_threshold([0, 1], [0.2, 0.8], "auc")


# ---------------------------------------------------------------- the sequence model

torch = pytest.importorskip("torch")


def _batch(n: int = 6, width: int = 12, n_static: int = 5, seed: int = 0) -> dict[str, "torch.Tensor"]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([0, 1, 3, width, width // 2, 2][:n])
    mask = (torch.arange(width)[None, :] >= (width - lengths)[:, None]).to(torch.int8)  # left padding
    hi = {"event_type": 6, "product": 41, "category": 7, "dwell_bucket": 9, "gap_bucket": 12, "hours_before": 8761,
          "seen_before": 2, "carted_before": 2, "same_session": 2, "same_category": 2}
    out = {k: torch.randint(1 if k in ("event_type", "product", "category", "dwell_bucket", "gap_bucket") else 0,
                            h, (n, width), generator=g) * mask for k, h in hi.items()}
    out = {k: v.to(torch.int16) for k, v in out.items()}
    out["mask"] = mask
    out["static"] = torch.randn(n, n_static, generator=g)
    return out


@pytest.mark.parametrize("cell,relations", [("lstm", True), ("gru", False)])
def test_left_padding_does_not_change_the_output(cell: str, relations: bool) -> None:
    from labkit.models.purchase_intent.sequence import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier(n_products=40, n_static=5, hidden=16, layers=2, cell=cell, relations=relations).eval()
    batch = _batch()
    wider = {k: v if k == "static" else torch.cat([torch.zeros(len(v), 20, dtype=v.dtype), v], 1)
             for k, v in batch.items()}
    with torch.no_grad():
        a, b = model(batch), model(wider)
        # garbage in the padded slots is ignored too (the mask decides)
        noisy = {k: v if k in ("static", "mask") else v + (1 - batch["mask"]).to(v.dtype) for k, v in batch.items()}
        c = model(noisy)
    assert a.shape == (6,) and torch.isfinite(a).all()
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, c)


def test_sequence_model_argument_errors() -> None:
    from labkit.models.purchase_intent.sequence import SequenceClassifier

    with pytest.raises(ValueError, match="cell"):
        SequenceClassifier(40, 5, cell="rnn")
    with pytest.raises(ValueError, match="layers"):
        SequenceClassifier(40, 5, layers=3)


# ---------------------------------------------------------------- training on the quick world


@pytest.fixture(scope="module")
def intent(quick_world):
    from labkit.models.purchase_intent.models import load_intent

    data = load_intent("quick")
    return {p: data.part(p) for p in ("train", "valid", "test")}


def test_intent_data_lines_up_with_the_oracle(intent) -> None:
    test = intent["test"]
    assert len(test) == len(test.oracle) and test.X.shape[1] == 91 and test.seq_len == 64
    assert set(np.unique(test.y)) == {0, 1}
    assert 0 <= test.oracle.min() and test.oracle.max() <= 1
    small = intent["train"].sample_users(50, seed=1)
    assert small.labels["user_id"].nunique() == 50 and small.last_events(32).seq_len == 32


def test_a_tiny_lstm_run_beats_chance(intent) -> None:
    import labkit
    from sklearn.metrics import roc_auc_score

    from labkit.models.purchase_intent.models import SeqConfig, fit_sequence_classifier

    labkit.seed_everything(0)
    labkit.set_threads(2)
    cfg = SeqConfig(epochs=1, batch_size=256, lr=3e-3, last_events=32, max_train_rows=8000)
    valid = intent["valid"].sample_rows(6000, seed=0)
    model = fit_sequence_classifier(intent["train"], valid, cfg, hidden=32, layers=1, verbose=False)
    p = model.predict(valid)
    assert roc_auc_score(valid.y, p) > 0.65
    assert model.best_valid_auc == pytest.approx(roc_auc_score(valid.y, p), abs=1e-9)
    again = fit_sequence_classifier(intent["train"], valid, cfg, hidden=32, layers=1, verbose=False)
    np.testing.assert_array_equal(p, again.predict(valid))  # seeded: bit-identical on CPU


def test_lightgbm_is_not_worse_than_logreg_and_the_ensemble_takes_the_best(intent) -> None:
    from sklearn.metrics import roc_auc_score

    from labkit.models.purchase_intent.models import fit_ensemble, fit_lightgbm, fit_logreg, learning_curve

    train, valid, test = intent["train"], intent["valid"], intent["test"]
    logreg = fit_logreg(train)
    gbm = fit_lightgbm(train, valid, budget=1)
    auc_lr = roc_auc_score(test.y, logreg.predict_proba(test.X)[:, 1])
    auc_gbm = roc_auc_score(test.y, gbm.predict(test))
    assert auc_gbm > auc_lr - 0.02
    assert len(gbm.trials) == 1 and gbm.trials["rounds"].iloc[0] > 0
    probs = {"gbm": gbm.predict(valid), "logreg": logreg.predict_proba(valid.X)[:, 1]}
    ens = fit_ensemble(probs, valid.y)
    assert sum(ens.weights.values()) == pytest.approx(1.0)
    assert ens.valid_auc >= max(roc_auc_score(valid.y, p) for p in probs.values()) - 1e-12
    curve = learning_curve(lambda d: (lambda m: (lambda e: m.predict_proba(e.X)[:, 1]))(fit_logreg(d)),
                           train, [100, 400], evaluate_on=valid)
    assert isinstance(curve, pd.DataFrame) and list(curve["n_users"]) == [100, 400]
    assert curve["n_rows"].is_monotonic_increasing


def test_shuffle_order_keeps_each_rows_events_and_padding():
    from labkit.models.purchase_intent.data import SEQ_FIELDS, IntentData

    rng = np.random.default_rng(0)
    n, L = 50, 12
    lengths = rng.integers(0, L + 1, n)
    mask = (np.arange(L)[None, :] >= (L - lengths)[:, None]).astype(np.int8)
    seqs = {k: (rng.integers(1, 9, (n, L)) * mask).astype(np.int16) for k in SEQ_FIELDS if k != "mask"}
    seqs["mask"] = mask
    labels = pd.DataFrame({"cutoff": pd.Timestamp("2024-01-07"), "user_id": np.arange(n), "part": "train",
                           "purchase_next_7d": rng.integers(0, 2, n)})
    data = IntentData(labels, np.zeros((n, 1), np.float32), ["x"], seqs, n_products=9)
    shuffled = data.shuffle_order(seed=1)
    assert (shuffled.seqs["mask"] == mask).all()  # padding stays on the left
    moved = False
    for i in range(n):
        a = np.stack([data.seqs[k][i] for k in SEQ_FIELDS], 1)[mask[i] == 1]
        b = np.stack([shuffled.seqs[k][i] for k in SEQ_FIELDS], 1)[mask[i] == 1]
        assert sorted(map(tuple, a)) == sorted(map(tuple, b))  # the same events, fields moved together
        moved |= not np.array_equal(a, b)
    assert moved


def test_sequence_classifier_trains_through_the_course_loop_with_checkpoints(intent, tmp_path) -> None:
    import torch

    from labkit.models.purchase_intent.models import SeqConfig, fit_sequence_classifier

    cfg = SeqConfig(epochs=2, batch_size=256, last_events=16, max_train_rows=2000)
    valid = intent["valid"].sample_rows(2000, seed=0)
    model = fit_sequence_classifier(intent["train"], valid, cfg, hidden=16, layers=1, verbose=False,
                                    run_dir=(tmp_path / "ckpt", tmp_path / "tb"))
    assert [h["epoch"] for h in model.history] == [1, 2]
    assert model.best_valid_auc == max(h["valid_auc"] for h in model.history)
    ckpts = sorted((tmp_path / "ckpt").glob("*.pt"))
    assert ckpts, "a checkpoint per epoch"
    state = torch.load(ckpts[-1], weights_only=True)
    assert state["epoch"] == 2 and any((tmp_path / "tb").rglob("events.out.tfevents*"))
