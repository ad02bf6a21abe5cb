"""Customer repurchase in the next 30 days from the customer's invoices (introduced in 03_lstm).

The real-data (UCI Online Retail) counterpart of 03's purchase-intent models. A sample is
a (cut-off, customer) pair: every customer with at least one invoice before the end of
the cut-off day. Its label says whether the customer places a completed invoice (one
with a completed line) in the ``horizon`` (30) days after the cut-off. Cut-offs come
from :func:`labkit.splits.cutoffs` with that horizon, so a label window never leaves
its part (train, valid or test) and no train label peeks into validation.

Two models see the same history:

* :func:`rfm_features` + :func:`fit_lightgbm` -- LightGBM on RFM-style aggregates of all
  invoices so far (recency, frequency and monetary value over 30/90/180 days and all
  time, tenure, gaps between invoices, cancellations), early-stopped on validation.
* :func:`invoice_sequences` + :func:`fit_gru` -- a small GRU over the last ``k`` invoices
  (one vector per invoice: days since the previous invoice, days before the cut-off,
  log basket value, lines, distinct products, any cancellation, month, weekday, hour),
  plus the log invoice count and tenure, trained with :func:`labkit.training.fit` and
  early stopping on validation ROC-AUC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import schema as S
from ...frames import require as _require
from ...runtime import default_threads
from ...splits import LABELLED_PARTS, CourseSplit, course_split, cutoffs

HORIZON = 30
DAY_S = 86_400
WINDOWS = (30, 90, 180)
SEQ_FEATURES = ("present", "log_gap_days", "first_invoice", "log_days_before_cutoff", "log_value", "log_lines",
                "log_products", "any_cancelled", "month_sin", "month_cos", "weekday_sin", "weekday_cos", "hour")


def invoices(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per invoice, sorted by customer and time: user_id, order_id, timestamp, value,
    n_lines, n_products, any_cancelled, completed, plus the integer ``user`` code and ``t`` (s)."""
    _require(orders, [S.ORDER_ID, S.USER_ID, S.PRODUCT_ID, S.QUANTITY, S.UNIT_PRICE, S.TIMESTAMP, S.STATUS], "orders")
    o = orders[orders[S.USER_ID].notna()]
    done = (o[S.STATUS] == "completed").to_numpy()
    o = o.assign(_v=o[S.QUANTITY] * o[S.UNIT_PRICE] * done, _c=~done, _d=done)
    g = o.groupby([S.USER_ID, S.ORDER_ID], sort=False)
    inv = g.agg(timestamp=(S.TIMESTAMP, "min"), value=("_v", "sum"), n_lines=(S.PRODUCT_ID, "size"),
                n_products=(S.PRODUCT_ID, "nunique"), any_cancelled=("_c", "any"), completed=("_d", "any"))
    inv = inv.reset_index().sort_values([S.USER_ID, S.TIMESTAMP, S.ORDER_ID], ignore_index=True)
    inv["user"] = pd.factorize(inv[S.USER_ID])[0]
    inv["t"] = pd.DatetimeIndex(inv[S.TIMESTAMP]).as_unit("s").asi8
    return inv


def repurchase_samples(inv: pd.DataFrame, split: CourseSplit, every_days: int = 14,
                       horizon: int = HORIZON) -> pd.DataFrame:
    """(cutoff, user_id, part, n_before, label) for every customer with an invoice before the
    end of each cut-off day; label: a completed invoice within ``horizon`` days after it."""
    _require(inv, ["user", "t", S.USER_ID, "completed"], "invoices")
    users = inv.drop_duplicates("user")[[S.USER_ID, "user"]].sort_values("user")
    big = np.int64(10**11)
    key = inv["user"].to_numpy(np.int64) * big + inv["t"].to_numpy(np.int64)
    ckey = key[inv["completed"].to_numpy(bool)]
    start = np.searchsorted(key, users["user"].to_numpy(np.int64) * big)
    frames = []
    for part in LABELLED_PARTS:
        for c in cutoffs(split, part, every_days=every_days, horizon=horizon):
            end = int((c + pd.Timedelta(days=1)).timestamp())  # history: before the end of the cut-off day
            u = users["user"].to_numpy(np.int64)
            pos = np.searchsorted(key, u * big + end)
            n = pos - start
            lab = np.searchsorted(ckey, u * big + end + horizon * DAY_S) - np.searchsorted(ckey, u * big + end)
            keep = n > 0
            frames.append(pd.DataFrame({S.CUTOFF: c, S.USER_ID: users[S.USER_ID].to_numpy()[keep], "user": u[keep],
                                        S.PART: part, "pos": pos[keep], "start": start[keep], "n_before": n[keep],
                                        "label": (lab[keep] > 0).astype(np.int8)}))
    if not frames:
        raise ValueError("split: no cut-off leaves a full label window inside a part; lower horizon")
    return pd.concat(frames, ignore_index=True)


def _end_s(samples: pd.DataFrame) -> np.ndarray:
    return (pd.DatetimeIndex(samples[S.CUTOFF]).as_unit("s").asi8 + DAY_S).astype(np.int64)


def rfm_features(inv: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """RFM-style aggregates of each sample's invoices before the cut-off (one row per sample)."""
    _require(samples, ["user", "pos", "start", "n_before", S.CUTOFF], "samples")
    t, v = inv["t"].to_numpy(np.int64), inv["value"].to_numpy(np.float64)
    canc = inv["any_cancelled"].to_numpy(np.float64)
    cv, cc = np.concatenate([[0.0], np.cumsum(v)]), np.concatenate([[0.0], np.cumsum(canc)])
    pos, start, n = (samples[c].to_numpy(np.int64) for c in ("pos", "start", "n_before"))
    end = _end_s(samples)
    key = inv["user"].to_numpy(np.int64) * np.int64(10**11) + t
    ukey = samples["user"].to_numpy(np.int64) * np.int64(10**11)
    last, first = t[pos - 1], t[start]
    f = {"recency_days": (end - last) / DAY_S, "tenure_days": (end - first) / DAY_S, "n_invoices": n,
         "value_total": cv[pos] - cv[start], "n_cancelled": cc[pos] - cc[start]}
    f["value_mean"] = f["value_total"] / n
    f["gap_mean_days"] = np.where(n > 1, (last - first) / DAY_S / np.maximum(n - 1, 1), np.nan)
    prev = t[np.maximum(pos - 2, 0)]
    f["gap_last_days"] = np.where(n > 1, (last - prev) / DAY_S, np.nan)
    f["recency_vs_gap"] = f["recency_days"] / (f["gap_mean_days"] + 1.0)
    for w in WINDOWS:
        lo = np.searchsorted(key, ukey + end - w * DAY_S)
        f[f"n_invoices_{w}d"] = pos - lo
        f[f"value_{w}d"] = cv[pos] - cv[lo]
    f["last_value"] = v[pos - 1]
    return pd.DataFrame(f).astype(np.float32)


def invoice_sequences(inv: pd.DataFrame, samples: pd.DataFrame, k: int = 20) -> dict[str, np.ndarray]:
    """``x`` (n, k, 13): the last ``k`` invoices before each cut-off, oldest first, left-padded
    with zeros (``present`` 0); ``static`` (n, 2): log invoice count and log tenure."""
    _require(samples, ["pos", "start", "n_before", S.CUTOFF], "samples")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    ts = pd.DatetimeIndex(inv[S.TIMESTAMP])
    t = inv["t"].to_numpy(np.int64)
    first = np.r_[True, inv["user"].to_numpy()[1:] != inv["user"].to_numpy()[:-1]]
    gap = np.where(first, 0.0, np.diff(t, prepend=t[0]) / DAY_S)
    per = np.column_stack([np.log1p(gap), first, np.log1p(np.maximum(inv["value"].to_numpy(float), 0)),
                           np.log1p(inv["n_lines"]), np.log1p(inv["n_products"]), inv["any_cancelled"],
                           np.sin(2 * np.pi * ts.month / 12), np.cos(2 * np.pi * ts.month / 12),
                           np.sin(2 * np.pi * ts.day_of_week / 7), np.cos(2 * np.pi * ts.day_of_week / 7),
                           ts.hour / 24]).astype(np.float32)
    pos, start, n = (samples[c].to_numpy(np.int64) for c in ("pos", "start", "n_before"))
    idx = pos[:, None] - k + np.arange(k)[None, :]
    ok = idx >= start[:, None]  # only this customer's invoices before the cut-off
    idx = np.where(ok, idx, 0)
    end = _end_s(samples)
    before = np.where(ok, np.log1p(np.maximum(end[:, None] - t[idx], 0) / DAY_S), 0.0)
    x = np.concatenate([ok[..., None], per[idx][..., :1], per[idx][..., 1:2], before[..., None],
                        per[idx][..., 2:]], axis=2) * ok[..., None]
    static = np.column_stack([np.log1p(n), np.log1p((end - t[start]) / DAY_S)])
    return {"x": x.astype(np.float32), "static": static.astype(np.float32)}


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, p))


def fit_lightgbm(train: pd.DataFrame, valid: pd.DataFrame, y_train: np.ndarray, y_valid: np.ndarray,
                 seed: int = 0, threads: int | None = None):
    """LightGBM (binary) with early stopping on validation AUC; returns the booster.

    ``threads`` None: :func:`labkit.runtime.default_threads` (on a busy 2-core machine, 2
    OpenMP threads spin-wait and run up to 100x slower)."""
    import lightgbm as lgb

    params = {"objective": "binary", "metric": "auc", "learning_rate": 0.05, "num_leaves": 15,
              "min_data_in_leaf": 100, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
              "lambda_l2": 1.0, "seed": seed, "num_threads": threads or default_threads(), "deterministic": True,
              "verbose": -1}
    dtr = lgb.Dataset(train, y_train)
    return lgb.train(params, dtr, 2000, valid_sets=[lgb.Dataset(valid, y_valid, reference=dtr)],
                     callbacks=[lgb.early_stopping(50, verbose=False)])


def _gru(n_in: int, n_static: int, hidden: int, dropout: float):
    import torch
    from torch import nn

    class InvoiceGRU(nn.Module):
        """GRU over the invoices; a small MLP on [last state, statics] gives the logit."""

        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(n_in, hidden, batch_first=True)
            self.head = nn.Sequential(nn.Linear(hidden + n_static, hidden), nn.ReLU(), nn.Dropout(dropout),
                                      nn.Linear(hidden, 1))

        def forward(self, x, static):
            _, h = self.gru(x)
            return self.head(torch.cat([h[-1], static], dim=1)).squeeze(-1)

    return InvoiceGRU()


def fit_gru(train: dict[str, np.ndarray], valid: dict[str, np.ndarray], y_train: np.ndarray, y_valid: np.ndarray,
            epochs: int = 6, batch_size: int = 256, hidden: int = 32, lr: float = 3e-3, patience: int = 2,
            seed: int = 0, verbose: bool = False):
    """The GRU trained by :func:`labkit.training.fit` (early stopping on validation AUC,
    best epoch restored); returns (model, TrainResult)."""
    import torch

    from ...training import TrainConfig, fit, tensor_loader  # torch: loaded only when the GRU trains
    torch.manual_seed(seed)
    model = _gru(train["x"].shape[2], train["static"].shape[1], hidden, 0.1)
    data = [(d["x"], d["static"], y.astype(np.float32)) for d, y in ((train, y_train), (valid, y_valid))]
    config = TrainConfig(epochs=epochs, lr=lr, weight_decay=1e-4, batch_size=batch_size, grad_clip=1.0,
                         patience=patience, mode="max", seed=seed, device="cpu", progress=False, verbose=verbose)
    result = fit(model, tensor_loader(data[0], batch_size, shuffle=True, seed=seed),
                 tensor_loader(data[1], 4096), torch.nn.BCEWithLogitsLoss(), config,
                 metric_fn=lambda out, y: _auc(y, out))
    return model, result


def predict_gru(model, d: dict[str, np.ndarray]) -> np.ndarray:
    """Repurchase probabilities of sequences ``d`` (``x``, ``static``)."""
    from ...training import predict, tensor_loader  # torch
    dummy = np.zeros(len(d["x"]), dtype=np.float32)  # a tuple's last array is read as the target
    return 1 / (1 + np.exp(-predict(model, tensor_loader((d["x"], d["static"], dummy), 4096), device="cpu")))


@dataclass
class RepurchaseResult:
    """Test ROC-AUC of both models, the samples with their test scores, and the fitted models."""

    auc_seq: float
    auc_lgbm: float
    samples: pd.DataFrame
    gru: object
    lgbm: object
    history: pd.DataFrame


def repurchase_track(orders: pd.DataFrame, split: CourseSplit | None = None, every_days: int = 14, k: int = 20,
                     epochs: int = 6, batch_size: int = 256, seed: int = 0, threads: int | None = None,
                     verbose: bool = False) -> RepurchaseResult:
    """Samples, both models fitted on train (early-stopped on valid), scored on test."""
    inv = invoices(orders)
    if split is None:
        days = pd.DatetimeIndex(inv[S.TIMESTAMP]).normalize()
        split = course_split(pd.date_range(days.min(), days.max(), freq="D"))
    smp = repurchase_samples(inv, split, every_days)
    y = smp["label"].to_numpy()
    part = {p: (smp[S.PART] == p).to_numpy() for p in LABELLED_PARTS}
    if not (part["train"].any() and part["valid"].any() and part["test"].any()):
        raise ValueError("split: train, valid and test each need at least one cut-off")
    rfm = rfm_features(inv, smp)
    booster = fit_lightgbm(rfm[part["train"]], rfm[part["valid"]], y[part["train"]], y[part["valid"]],
                           seed, threads)
    seq = invoice_sequences(inv, smp, k)
    sub = {p: {n: a[m] for n, a in seq.items()} for p, m in part.items()}
    model, res = fit_gru(sub["train"], sub["valid"], y[part["train"]], y[part["valid"]], epochs, batch_size,
                         seed=seed, verbose=verbose)
    te = smp[part["test"]].reset_index(drop=True)
    te["p_lgbm"] = booster.predict(rfm[part["test"]], num_iteration=booster.best_iteration)
    te["p_seq"] = predict_gru(model, sub["test"])
    return RepurchaseResult(_auc(te["label"], te["p_seq"]), _auc(te["label"], te["p_lgbm"]), te, model, booster,
                            res.frame())
