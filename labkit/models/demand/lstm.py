"""A global LSTM demand forecaster: one model for all products (03_lstm, task 2).

Input: the last 56 days of a product's panel (units, on-sale flag, discount, promotion,
calendar, shop and category totals), its category (embedded) and price level, and the
window's recent levels. Output: the 14 next days at once (direct multi-horizon): the
head sees the encoder's last state with each target day's planned covariates (calendar
and festival, discount, promotion, product age) and returns a log-rate; the rate is that
times the window's level (DeepAR-style scaling) and the loss is the Poisson (or Tweedie)
deviance of the daily units. Samples start at every day of the train part
(``every_days``); training runs a fixed number of epochs with a cosine learning rate.

Decisions, from the validation part of the cpu world: a product embedding (``emb``)
memorised each product's past level and over-forecast declining products (validation
WAPE 0.625 with 8 dimensions, 0.613 without), so it is off by default; the yearly
season features stay (0.620 with, 0.638 without); epochs are fixed rather than
early-stopped, because validation WAPE mostly tracks the forecast's bias from epoch to
epoch (under-forecasting lowers WAPE on skewed demand).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ... import schema as S
from ...evaluation.forecast_metrics import wape
from ...splits import CourseSplit, forecast_origins
from .forecast import panel_matrix, row_index

ENC_DAYS = 56
SCALE_FLOOR = 0.1
HORIZON = 14


@dataclass
class PanelArrays:
    """The demand panel as product x day arrays plus per-day calendar and per-product statics."""

    pids: np.ndarray
    dates: pd.DatetimeIndex
    units: np.ndarray  # (P, D)
    live: np.ndarray  # (P, D) on sale
    discount: np.ndarray  # (P, D)
    cat_discount: np.ndarray  # (P, D) mean discount of the product's category (on-sale products)
    cat_units: np.ndarray  # (P, D) units of the product's category
    shop: np.ndarray  # (D,) units of the shop
    calendar: np.ndarray  # (D, 12 + F) weekday one-hot, holiday, festival, promo intensity, season sin/cos,
    # then one column per festival name
    launch: np.ndarray  # (P,) day index of the launch (may be < 0)
    category: np.ndarray  # (P,) category code
    rel_price: np.ndarray  # (P,) log(base price / category median)


def panel_arrays(panel: pd.DataFrame, products: pd.DataFrame, season: bool = True) -> PanelArrays:
    """Arrays of :func:`labkit.features.demand.demand_panel` and the product table."""
    missing = [c for c in (S.PRODUCT_ID, S.CATEGORY, S.BASE_PRICE, S.LAUNCH_DATE) if c not in products.columns]
    if missing:
        raise ValueError(f"products: missing column(s) {missing}")
    pids, dates, units = panel_matrix(panel)
    live = panel_matrix(panel, "on_sale")[2]
    disc = np.nan_to_num(panel_matrix(panel, S.DISCOUNT)[2])
    prod = products.set_index(S.PRODUCT_ID).reindex(pids)
    cat, _ = pd.factorize(prod[S.CATEGORY].fillna("unknown"))
    n_cat = cat.max() + 1
    num, den, cat_u = (np.zeros((n_cat, len(dates))) for _ in range(3))
    np.add.at(num, cat, disc * live)
    np.add.at(den, cat, live)
    np.add.at(cat_u, cat, units)
    day = panel.drop_duplicates(S.DATE).set_index(S.DATE).reindex(dates)
    wd = np.eye(7)[dates.day_of_week]
    doy = 2 * np.pi * dates.day_of_year.to_numpy() / 365.25
    fest = day[S.FESTIVAL].fillna("").astype(str)
    names = sorted(set(fest) - {""})
    cal = np.column_stack([wd, day[S.IS_HOLIDAY].astype(float), (fest != "").astype(float),
                           day[S.PROMO_INTENSITY].astype(float), np.sin(doy) * season, np.cos(doy) * season,
                           *[(fest == f).astype(float) for f in names]])
    base = prod[S.BASE_PRICE].to_numpy(float)
    med = pd.Series(base).groupby(cat).transform("median").to_numpy()
    launch = ((pd.DatetimeIndex(prod[S.LAUNCH_DATE]).normalize() - dates[0]) / pd.Timedelta(days=1)).to_numpy()
    return PanelArrays(pids, dates, units, live, disc, (num / np.maximum(den, 1))[cat], cat_u[cat],
                       units.sum(axis=0), cal.astype(np.float64), launch.astype(int), cat, np.log(base / med))


def batch_inputs(a: PanelArrays, pi: np.ndarray, oi: np.ndarray, horizon: int = HORIZON) -> dict[str, np.ndarray]:
    """Encoder window (B, 56, 17), future covariates (B, horizon, 32 + festivals) and statics per (product, origin)."""
    if (oi + horizon >= len(a.dates)).any():
        raise ValueError(f"origins need {horizon} days of calendar and prices after them")
    idx = oi[:, None] + np.arange(1 - ENC_DAYS, 1)[None, :]
    ok = idx >= 0
    idx = np.maximum(idx, 0)
    p = pi[:, None]
    u, w = a.units[p, idx], a.live[p, idx] * ok
    n = np.maximum(w.sum(1), 1)
    scale = SCALE_FLOOR + (u * w).sum(1) / n  # the window's level (floored: products with no sales)
    shop, catu = a.shop[idx], a.cat_units[p, idx]
    x = np.concatenate([
        np.stack([np.minimum(u / scale[:, None], 20.0), np.log1p(u), w, a.discount[p, idx],
                  (a.discount[p, idx] > 0) * 1.0, shop / np.maximum(shop.mean(1, keepdims=True), 1e-9),
                  catu / np.maximum(catu.mean(1, keepdims=True), 1e-9)], axis=2),
        a.calendar[idx][..., :10]], axis=2)
    fidx = oi[:, None] + np.arange(1, horizon + 1)[None, :]
    age = np.clip(fidx - a.launch[p], 0, 730)
    fut = np.concatenate([
        np.stack([a.discount[p, fidx], (a.discount[p, fidx] > 0) * 1.0, a.discount[p, fidx] - a.cat_discount[p, fidx],
                  np.log1p(age) / 6.0, age / 365.0, np.minimum(age, 90) / 90.0], axis=2),
        a.calendar[fidx], np.broadcast_to(np.eye(horizon), (len(pi), horizon, horizon))], axis=2)
    recent = [(u[:, -k:] * w[:, -k:]).sum(1) / np.maximum(w[:, -k:].sum(1), 1) / scale for k in (7, 14, 28)]
    trend = [v[:, -7:].mean(1) / np.maximum(v.mean(1), 1e-9) for v in (shop, catu)]
    static = np.column_stack([np.log(scale), a.rel_price[pi], *recent, w.mean(1), *trend])
    return {"x": x.astype(np.float32), "fut": fut.astype(np.float32), "static": static.astype(np.float32),
            "prod": pi.astype(np.int64), "cat": a.category[pi].astype(np.int64)}


def _module(n_in: int, n_fut: int, n_static: int, n_products: int, n_categories: int, hidden: int, emb: int,
            dropout: float):
    import torch
    from torch import nn

    class DemandLSTM(nn.Module):
        """LSTM encoder over the window; per-horizon MLP head on [state, embeddings, statics, covariates]."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
            self.prod = nn.Embedding(n_products, emb)
            nn.init.normal_(self.prod.weight, std=0.05)  # unseen (later) products stay near the average
            self.cat = nn.Embedding(n_categories, 4)
            self.head = nn.Sequential(nn.Linear(hidden + emb + 4 + n_static + n_fut, hidden), nn.ReLU(),
                                      nn.Dropout(dropout), nn.Linear(hidden, 1))

        def forward(self, x, fut, static, prod, cat):
            _, (h, _) = self.lstm(x)
            z = torch.cat([h[-1], self.prod(prod), self.cat(cat), static], dim=1)
            z = z[:, None, :].expand(-1, fut.shape[1], -1)
            return self.head(torch.cat([z, fut], dim=2)).squeeze(-1) + static[:, :1]  # log rate

    return DemandLSTM()


def _loss(log_rate, y, kind: str, power: float):
    import torch

    if kind == "poisson":
        return (torch.exp(log_rate) - y * log_rate).mean()
    a, b = 1 - power, 2 - power  # Tweedie deviance up to constants, log link
    return (-y * torch.exp(a * log_rate) / a + torch.exp(b * log_rate) / b).mean()


@dataclass
class LSTMForecaster:
    """Global LSTM on every-day origins; fixed epochs with a cosine learning rate; see the module doc.

    ``fit`` first trains on the train part and scores each epoch on the validation part
    (``history``: the learning curve, for choosing settings), then -- with ``refit`` --
    trains ``seeds`` fresh models on train + validation and averages their rates.
    """

    hidden: int = 32
    emb: int = 0  # product embedding size; 0: none (it memorised past levels, see the module doc)
    dropout: float = 0.2
    loss: str = "poisson"
    tweedie_power: float = 1.2
    lr: float = 2e-3
    weight_decay: float = 1e-3
    batch_size: int = 256
    epochs: int = 8
    every_days: int = 1
    season: bool = True
    refit: bool = True
    validate: bool = True
    seeds: int = 1
    seed: int = 0
    threads: int | None = None  # None: leave torch's thread count (labkit.start pins it)
    verbose: bool = True
    history: list[dict[str, float]] = field(default_factory=list)
    models: list = field(default_factory=list)
    arrays: PanelArrays | None = None

    def _pairs(self, split: CourseSplit, parts: tuple[str, ...], every: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.arrays
        org = pd.DatetimeIndex([]).append([forecast_origins(split, p, every_days=every) for p in parts])
        oi = a.dates.get_indexer(org.as_unit(a.dates.unit))
        pi, k = np.nonzero(a.live[:, oi])
        return pi, oi[k]

    def _targets(self, pi: np.ndarray, oi: np.ndarray) -> np.ndarray:
        return self.arrays.units[pi[:, None], oi[:, None] + np.arange(1, HORIZON + 1)].astype(np.float32)

    def _train(self, pi: np.ndarray, oi: np.ndarray, seed: int, valid: tuple[np.ndarray, np.ndarray] | None = None):
        """One model trained for ``epochs`` (cosine decay to lr/20); scores ``valid`` after each epoch."""
        import torch

        torch.manual_seed(seed)
        if self.threads:
            torch.set_num_threads(self.threads)
        a = self.arrays
        b = batch_inputs(a, pi[:1], oi[:1])
        model = _module(b["x"].shape[2], b["fut"].shape[2], b["static"].shape[1], len(a.pids),
                        int(a.category.max()) + 1, self.hidden, self.emb, self.dropout)
        opt = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        steps = self.epochs * -(-len(pi) // self.batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.05 + 0.475 * (1 + np.cos(np.pi * min(k / steps, 1))))
        y_all = self._targets(pi, oi)
        gen = np.random.default_rng(seed)
        for epoch in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            model.train()
            order, total = gen.permutation(len(pi)), 0.0
            for lo in range(0, len(order), self.batch_size):
                j = order[lo: lo + self.batch_size]
                t = {k: torch.from_numpy(v) for k, v in batch_inputs(a, pi[j], oi[j]).items()}
                loss = _loss(model(**t), torch.from_numpy(y_all[j]), self.loss, self.tweedie_power)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(j)
            rec = {"epoch": epoch, "train_loss": total / len(pi)}
            if valid is not None:
                yv, pv = self._targets(*valid).ravel(), self._predict_pairs(*valid, [model]).ravel()
                rec.update(valid_wape=wape(yv, pv), valid_bias=float(pv.sum() / yv.sum() - 1))
                self.history.append(rec)
            if self.verbose:
                rec["seconds"] = time.perf_counter() - t0
                print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in rec.items()))
        return model

    def fit(self, panel: pd.DataFrame, products: pd.DataFrame, split: CourseSplit) -> "LSTMForecaster":
        """Learning curve on validation (``validate``), then the final model(s) on train (+ validation)."""
        # Its own short loop (fixed epochs, windows gathered per batch): not yet labkit.training.fit,
        # so no checkpoints or TensorBoard here (03's intent models have them).
        if self.loss not in ("poisson", "tweedie"):
            raise ValueError(f"loss must be 'poisson' or 'tweedie', got {self.loss!r}")
        if self.epochs < 1 or self.seeds < 1 or self.every_days < 1:
            raise ValueError(f"epochs, seeds and every_days must be >= 1, got {self.epochs}, {self.seeds}, "
                             f"{self.every_days}")
        self.arrays = panel_arrays(panel, products, self.season)
        train = self._pairs(split, ("train",), self.every_days)
        valid = self._pairs(split, ("valid",), self.every_days)
        if len(train[0]) == 0 or len(valid[0]) == 0:
            raise ValueError("split: the train and valid parts need at least one 14-day forecast window each")
        self.history, self.models = [], []
        first = self._train(*train, self.seed, valid) if self.validate or not self.refit else None
        final = self._pairs(split, ("train", "valid"), self.every_days) if self.refit else train
        for k in range(self.seeds):
            if k == 0 and not self.refit:
                self.models.append(first)
            else:
                self.models.append(self._train(*final, self.seed + k))
        return self

    def _predict_pairs(self, pi: np.ndarray, oi: np.ndarray, models: list | None = None) -> np.ndarray:
        """Expected units (n, 14) of (product, origin) pairs: the mean rate of ``models`` (default: all)."""
        import torch

        models = self.models if models is None else models
        out = np.zeros((len(pi), HORIZON))
        with torch.no_grad():
            for model in models:
                model.eval()
                for lo in range(0, len(pi), 2048):
                    t = {k: torch.from_numpy(v) for k, v in batch_inputs(self.arrays, pi[lo: lo + 2048],
                                                                        oi[lo: lo + 2048]).items()}
                    out[lo: lo + 2048] += torch.exp(model(**t)).numpy() / len(models)
        return out

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Expected units of each forecast row (origin, product_id, horizon <= 14)."""
        if not self.models:
            raise ValueError("LSTMForecaster: call fit() first")
        pi, oi = row_index(rows, self.arrays.pids, self.arrays.dates)
        h = rows[S.HORIZON].to_numpy(int)
        if ((h < 1) | (h > HORIZON)).any():
            raise ValueError(f"rows: horizons must lie in 1 .. {HORIZON}")
        pairs, inv = np.unique(np.column_stack([pi, oi]), axis=0, return_inverse=True)
        pred = self._predict_pairs(pairs[:, 0], pairs[:, 1])
        return pred[inv.ravel(), h - 1]
