"""Next-product prediction from a shopper's recent events (03_lstm, "a task where order matters").

Each sample is one view or click event (the *target*) of a user who has at least one
earlier event; its input is the user's last ``history`` events before it, across sessions
(product, event type, gap bucket), left-padded, newest last. The part (train, valid, test)
is the course split's period of the target's day; the history may reach back into earlier
periods, which is observable at prediction time. Baselines: popularity (train-period
target counts), a first-order Markov chain (last product -> next product, backed off to
popularity) and a recent-history heuristic. Metrics: recall@k and MRR, ties counted half.
LightGBM scores (sample, candidate product) rows of :func:`candidate_features`. The oracle,
the world's own next-product distribution, is :func:`labkit.oracles.next_product_oracle`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from ..splits import CourseSplit

__all__ = ["AGGREGATE_FEATURES", "NextProductData", "build_next_product_data", "candidate_features", "markov", "mrr",
           "next_product_samples", "popularity", "ranks", "recall_at_k", "recent_counts"]

TARGET_TYPES = ("view", "click")
GAP_EDGES = (60, 600, 3_600, 6 * 3_600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400)  # seconds -> buckets 1..9
N_GAP = len(GAP_EDGES) + 2  # gap codes 1..N_GAP (1: the user's first event)
N_EVENT_TYPES = len(S.EVENT_TYPES)


@dataclass
class NextProductData:
    """Samples of one part: (n, history) int64 inputs (0 = padding, else code + 1) and (n,) targets."""

    products: np.ndarray  # product_id + 1 of each history event
    event_types: np.ndarray  # event-type code + 1
    gaps: np.ndarray  # 1 + bucket of the time since the previous event of the user (1 for the first)
    target: np.ndarray  # product_id of the next view/click
    user: np.ndarray
    day: np.ndarray  # day index of the target (days since the world's start)
    n_products: int

    def __len__(self) -> int:
        return len(self.target)

    def take(self, rows: np.ndarray) -> "NextProductData":
        """The samples ``rows`` (indices or a boolean mask)."""
        return NextProductData(self.products[rows], self.event_types[rows], self.gaps[rows], self.target[rows],
                               self.user[rows], self.day[rows], self.n_products)

    @property
    def last_product(self) -> np.ndarray:
        """product_id of the newest history event (every sample has at least one)."""
        return self.products[:, -1] - 1


def build_next_product_data(world: object, split: CourseSplit, profile: object, history: int = 20,
                            max_rows: dict[str, int] | None = None, seed: int = 0) -> dict[str, NextProductData]:
    """Samples per part (``train``, ``valid``, ``test``) from ``world``'s events table.

    ``max_rows``: at most that many samples per part (e.g. ``{"test": 20_000}``), a seeded
    random subset; parts not named keep all their samples.
    """
    return next_product_samples(world.table("events"), split, profile.n_products, history, max_rows, seed)


def next_product_samples(events: pd.DataFrame, split: CourseSplit, n_products: int, history: int = 20,
                         max_rows: dict[str, int] | None = None, seed: int = 0) -> dict[str, NextProductData]:
    """:func:`build_next_product_data` from an events table (columns of :mod:`labkit.schema`)."""
    need = {S.USER_ID, S.PRODUCT_ID, S.TIMESTAMP, S.EVENT_TYPE}
    if not need <= set(events.columns):
        raise ValueError(f"events: expected columns {sorted(need)}, got {list(events.columns)}")
    if history < 1:
        raise ValueError(f"history must be >= 1, got {history}")
    if n_products < 1 or int(events[S.PRODUCT_ID].max()) >= n_products:
        raise ValueError(f"n_products must exceed every product_id, got {n_products}")
    unknown = set(max_rows or {}) - {"train", "valid", "test"}
    if unknown:
        raise ValueError(f"max_rows: keys must be train, valid or test, got {sorted(unknown)}")
    ev = events.sort_values([S.USER_ID, S.TIMESTAMP], kind="stable")  # ties keep the table's order
    user = ev[S.USER_ID].to_numpy(np.int64)
    prod = ev[S.PRODUCT_ID].to_numpy(np.int64)
    etype = pd.Categorical(ev[S.EVENT_TYPE], categories=list(S.EVENT_TYPES)).codes.astype(np.int64)
    ts = ev[S.TIMESTAMP].to_numpy("datetime64[s]").astype(np.int64)
    gap = np.r_[0, np.diff(ts)]
    new_user = np.r_[True, user[1:] != user[:-1]]
    gap_b = np.where(new_user, 1, 2 + np.searchsorted(GAP_EDGES, gap, side="right")).astype(np.int64)
    pos = np.arange(len(ev)) - np.maximum.accumulate(np.where(new_user, np.arange(len(ev)), 0))
    is_target = np.isin(etype, [S.EVENT_TYPES.index(t) for t in TARGET_TYPES]) & (pos >= 1)
    date = ev[S.TIMESTAMP].dt.normalize().to_numpy()
    start = split.history_start.to_datetime64()
    out = {}
    for i, part in enumerate(("train", "valid", "test")):
        rng = np.random.default_rng([seed, i])  # one stream per part: a part's sample ignores the others' caps
        lo, hi = split.bounds(part)
        rows = np.nonzero(is_target & (date >= lo.to_datetime64()) & (date <= hi.to_datetime64()))[0]
        cap = (max_rows or {}).get(part)
        if cap is not None and len(rows) > cap:
            rows = np.sort(rng.choice(rows, cap, replace=False))
        idx = rows[:, None] - np.arange(history, 0, -1)[None, :]  # (n, history), newest last
        real = np.arange(history, 0, -1)[None, :] <= pos[rows][:, None]
        idx = np.maximum(idx, 0)
        out[part] = NextProductData(np.where(real, prod[idx] + 1, 0), np.where(real, etype[idx] + 1, 0),
                                    np.where(real, gap_b[idx], 0), prod[rows], user[rows],
                                    ((date[rows] - start) // np.timedelta64(1, "D")).astype(np.int64), n_products)
    return out


def popularity(train: NextProductData) -> np.ndarray:
    """(n_products,) share of each product among the training targets."""
    counts = np.bincount(train.target, minlength=train.n_products).astype(np.float64)
    return counts / counts.sum()


def markov(train: NextProductData, alpha: float = 1.0) -> np.ndarray:
    """(n_products, n_products) P(next | last product): transition counts plus ``alpha`` x popularity."""
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0 (the back-off to popularity), got {alpha}")
    counts = np.zeros((train.n_products, train.n_products))
    np.add.at(counts, (train.last_product, train.target), 1.0)
    smoothed = counts + alpha * popularity(train)[None, :]
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def recent_counts(data: NextProductData, last: int = 10, decay: float = 0.8) -> np.ndarray:
    """(n, n_products) heuristic scores: decayed counts of each product among the last ``last`` events."""
    if not 1 <= last <= data.products.shape[1] or not 0 < decay <= 1:
        raise ValueError(f"need 1 <= last <= history and 0 < decay <= 1, got last={last}, decay={decay}")
    scores = np.zeros((len(data), data.n_products + 1))
    w = decay ** np.arange(last - 1, -1, -1)
    for j, wj in zip(range(data.products.shape[1] - last, data.products.shape[1]), w):
        np.add.at(scores, (np.arange(len(data)), data.products[:, j]), wj)
    return scores[:, 1:]


def ranks(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each target among its row's scores; tied products count half."""
    if scores.ndim != 2 or len(scores) != len(target):
        raise ValueError(f"scores must be (n, n_products) with n = len(target), got {scores.shape}, {len(target)}")
    s = scores[np.arange(len(target)), target][:, None]
    return 1.0 + (scores > s).sum(1) + 0.5 * ((scores == s).sum(1) - 1)


def recall_at_k(scores: np.ndarray, target: np.ndarray, k: int = 5) -> float:
    """Share of samples whose target is among the ``k`` best-scored products."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return float(np.mean(ranks(scores, target) <= k))


def mrr(scores: np.ndarray, target: np.ndarray) -> float:
    """Mean reciprocal rank of the targets."""
    return float(np.mean(1.0 / ranks(scores, target)))


AGGREGATE_FEATURES = ("count_3", "count_10", "count_all", "since_last", "is_last", "markov", "popularity",
                      "distinct_10", "last_gap", "last_type")


def candidate_features(data: NextProductData, pop: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """(n * n_products, len(AGGREGATE_FEATURES)) one row per (sample, candidate product), candidates fastest.

    Per candidate: its count among the last 3, 10 and all history events, events since it
    was last seen (history + 1 if never), whether it is the last product, the Markov and
    popularity scores; per sample: distinct products among the last 10 events, the last
    event's gap bucket and type.
    """
    if pop.shape != (data.n_products,) or transition.shape != (data.n_products,) * 2:
        raise ValueError(f"pop and transition must be ({data.n_products},) and ({data.n_products}, {data.n_products}), "
                         f"got {pop.shape} and {transition.shape}")
    n, h, m = len(data), data.products.shape[1], data.n_products
    hit = data.products[:, :, None] == (np.arange(m) + 1)[None, None, :]  # (n, h, m)
    last_seen = np.where(hit.any(1), np.argmax(hit[:, ::-1], axis=1), h + 1)  # events ago, 0 = newest
    distinct = np.array([len(set(r[r > 0])) for r in data.products[:, -10:]])
    per_sample = np.stack([distinct, data.gaps[:, -1], data.event_types[:, -1]], 1)
    cols = [hit[:, -3:].sum(1), hit[:, -10:].sum(1), hit.sum(1), last_seen, last_seen == 0,
            transition[data.last_product], np.broadcast_to(pop, (n, m))]
    X = np.stack([np.asarray(c, dtype=np.float32) for c in cols], axis=-1)  # (n, m, 7)
    X = np.concatenate([X, np.broadcast_to(per_sample[:, None, :], (n, m, 3)).astype(np.float32)], axis=-1)
    return X.reshape(n * m, -1)
