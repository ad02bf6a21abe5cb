"""The purchase-intent data of 03_lstm in one object: labels, static features, event sequences.

``load_intent(profile)`` joins the three artifacts of 02 that share one row order
(``intent_labels``, ``user_features``, ``sequences``) and, for the synthetic world, the
**state oracle**: the world's exact P(purchase in the 7 days after the cut-off day | the
user's hidden state on that day), the best score any model could reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ... import schema as S
from ...artifacts import ArtifactStore
from ...features.build import load_features
from ...oracles import intent_state_oracle
from ...profiles import get_profile
from ...world import ensure_world

KEYS = (S.CUTOFF, S.USER_ID)
ORACLE = "oracle_p"
SEQ_FIELDS = ("event_type", "product", "category", "dwell_bucket", "gap_bucket", "hours_before",
              "seen_before", "carted_before", "same_session", "same_category", "mask")


@dataclass(frozen=True)
class IntentData:
    """Rows of (cut-off, user): ``labels`` (cutoff, user_id, part, purchase_next_7d[, oracle_p]),
    static features ``X`` (float32, columns ``features``) and left-padded ``seqs`` (n, seq_len)."""

    labels: pd.DataFrame
    X: np.ndarray
    features: list[str]
    seqs: dict[str, np.ndarray] = field(repr=False)
    n_products: int = 0

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.X.shape != (n, len(self.features)):
            raise ValueError(f"X must have shape ({n}, {len(self.features)}), got {self.X.shape}")
        missing = [k for k in SEQ_FIELDS if k not in self.seqs]
        if missing:
            raise ValueError(f"seqs: missing field(s) {missing}")
        bad = {k: self.seqs[k].shape for k in SEQ_FIELDS if self.seqs[k].shape[0] != n}
        if bad:
            raise ValueError(f"seqs: every field needs {n} rows, got {bad}")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def y(self) -> np.ndarray:
        return self.labels[S.PURCHASE_NEXT_7D].to_numpy().astype(np.int64)

    @property
    def oracle(self) -> np.ndarray:
        if ORACLE not in self.labels.columns:
            raise ValueError("no state oracle attached: load_intent(..., oracle=True) on a synthetic world")
        return self.labels[ORACLE].to_numpy()

    @property
    def seq_len(self) -> int:
        return self.seqs["mask"].shape[1]

    def take(self, rows: np.ndarray) -> "IntentData":
        """The rows at positions (or a boolean mask) ``rows``, in that order."""
        rows = np.asarray(rows)
        idx = np.flatnonzero(rows) if rows.dtype == bool else rows
        return replace(self, labels=self.labels.iloc[idx].reset_index(drop=True), X=self.X[idx],
                       seqs={k: self.seqs[k][idx] for k in SEQ_FIELDS})

    def part(self, name: str) -> "IntentData":
        """The rows of one part of the course split (train, valid or test)."""
        mask = (self.labels[S.PART] == name).to_numpy()
        if not mask.any():
            raise ValueError(f"part {name!r} has no rows; parts are {sorted(self.labels[S.PART].unique())}")
        return self.take(mask)

    def last_events(self, n: int) -> "IntentData":
        """Keep only the last ``n`` event slots of every sequence (left padding: the newest are last)."""
        if not 1 <= n <= self.seq_len:
            raise ValueError(f"n must be in 1..{self.seq_len}, got {n}")
        return replace(self, seqs={k: self.seqs[k][:, -n:] for k in SEQ_FIELDS})

    def shuffle_order(self, seed: int = 0) -> "IntentData":
        """Each row's real events in a random order (the same multiset, padding kept on the left).

        Every per-event field moves with its event, so only the *order* is destroyed: a
        model that loses accuracy on shuffled sequences was reading order (03's probe).
        """
        mask = self.seqs["mask"].astype(bool)
        rng = np.random.default_rng(seed)
        keys = np.where(mask, rng.random(mask.shape), -1.0)  # padding sorts first and stays left
        order = np.argsort(keys, axis=1, kind="stable")
        return replace(self, seqs={k: np.take_along_axis(self.seqs[k], order, axis=1) for k in SEQ_FIELDS})

    def sample_users(self, n_users: int, seed: int = 0) -> "IntentData":
        """All rows of ``n_users`` users drawn at random (learning curves count users, not rows)."""
        users = np.sort(self.labels[S.USER_ID].unique())
        if not 1 <= n_users <= len(users):
            raise ValueError(f"n_users must be in 1..{len(users)}, got {n_users}")
        pick = np.random.default_rng(seed).choice(users, n_users, replace=False)
        return self.take(self.labels[S.USER_ID].isin(pick).to_numpy())

    def sample_rows(self, n_rows: int, seed: int = 0) -> "IntentData":
        """``n_rows`` rows drawn at random without replacement (kept in their original order)."""
        if not 1 <= n_rows <= len(self):
            raise ValueError(f"n_rows must be in 1..{len(self)}, got {n_rows}")
        return self.take(np.sort(np.random.default_rng(seed).choice(len(self), n_rows, replace=False)))


def load_intent(profile: object = None, seed: int = 0, oracle: bool = True) -> IntentData:
    """All intent rows of a profile's world (artifacts built by 02 if missing), oracle attached."""

    labels = load_features(profile, "intent_labels", seed=seed)
    uf = load_features(profile, "user_features", seed=seed)
    seqs = load_features(profile, "sequences", seed=seed)
    for name, keys in (("user_features", uf[list(KEYS)]),
                       ("sequences", pd.DataFrame({S.CUTOFF: pd.DatetimeIndex(seqs[S.CUTOFF].astype("datetime64[ns]")),
                                                   S.USER_ID: seqs[S.USER_ID]}))):
        same = (len(keys) == len(labels) and (keys[S.USER_ID].to_numpy() == labels[S.USER_ID].to_numpy()).all()
                and (pd.DatetimeIndex(keys[S.CUTOFF]) == pd.DatetimeIndex(labels[S.CUTOFF])).all())
        if not same:
            raise ValueError(f"{name} rows do not line up with intent_labels: rebuild the features (02)")
    features = [c for c in uf.columns if c not in KEYS]
    labels = labels.copy()
    world = ensure_world(profile, seed, verbose=False)
    if oracle:
        labels[ORACLE] = intent_state_oracle(world.truth("truth_user_days"), labels)
    n_products = max(get_profile(profile).n_products, int(seqs["product"].max()))  # codes 1..n, 0 = padding
    return IntentData(labels=labels, X=uf[features].to_numpy(np.float32), features=features,
                      seqs={k: seqs[k] for k in SEQ_FIELDS}, n_products=n_products)


def save_intent_scores(data: IntentData, probs: dict[str, dict[str, np.ndarray]], profile: str, seed: int = 0,
                       parts: tuple[str, ...] = ("valid", "test")) -> Path:
    """03_lstm's hand-off to 07: the artifact ``predictions/intent``, one row per (cut-off, user) of ``parts``.

    ``probs[model][part]`` holds the model's purchase probabilities for that part's rows (in
    ``data.part(part)`` order); columns: cutoff, user_id, part, purchase_next_7d, then one per model.
    """
    rows = data.labels[data.labels[S.PART].isin(parts)]
    out = rows[[S.CUTOFF, S.USER_ID, S.PART, S.PURCHASE_NEXT_7D]].reset_index(drop=True)
    for model, by_part in probs.items():
        col = np.full(len(out), np.nan)
        for part in parts:
            if part not in by_part:
                raise ValueError(f"probs[{model!r}]: missing part {part!r}; expected {list(parts)}")
            at = (out[S.PART] == part).to_numpy()
            p = np.asarray(by_part[part], dtype=np.float64)
            if p.shape != (int(at.sum()),) or not np.isfinite(p).all():
                raise ValueError(f"probs[{model!r}][{part!r}]: expected {int(at.sum())} finite probabilities, "
                                 f"got shape {p.shape}")
            col[at] = p
        out[model] = col
    store = ArtifactStore(str(profile), seed)
    path = store.path("predictions/intent")
    out.to_parquet(path, index=False)
    store.record("predictions/intent", {"rows": len(out), "models": sorted(probs)})
    return path


def load_intent_scores(profile: str, seed: int = 0) -> pd.DataFrame:
    """The frame :func:`save_intent_scores` wrote (07 starts here); the error names 03 if it is missing."""
    return pd.read_parquet(ArtifactStore(str(profile), seed).require("predictions/intent"))
