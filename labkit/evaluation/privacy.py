"""Releasing data from the shop without releasing its customers (07_evaluation, the privacy part).

Three tools, each the textbook one:

- :func:`pseudonymise`: ids replaced by a keyed hash, ``HMAC-SHA256(key, id)``, cut to 16 hex digits.
  The same id always maps to the same pseudonym (tables still join), and without the key nobody can
  recompute the mapping by hashing candidate ids, which a plain unsalted hash would allow. The key
  comes from the environment (``$LABKIT_PSEUDONYM_KEY``), never from the repo.
- :func:`k_anonymity`: the size of the smallest group of rows that share their quasi-identifiers
  (region, age band, ...). A released table is k-anonymous if every row hides among at least k.
- :func:`laplace_release`: the Laplace mechanism of differential privacy. A count that one customer can
  change by at most ``sensitivity`` is released with noise of scale ``sensitivity / epsilon``; the expected
  absolute error is exactly that scale (:func:`laplace_error`), the accuracy paid for privacy ``epsilon``.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import numpy as np
import pandas as pd

KEY_ENV = "LABKIT_PSEUDONYM_KEY"


def pseudonymise(ids: pd.Series, key: str | bytes | None = None) -> pd.Series:
    """Keyed-hash pseudonyms of ``ids`` (16 hex digits); ``key`` defaults to ``$LABKIT_PSEUDONYM_KEY``."""
    if key is None:
        key = os.environ.get(KEY_ENV)
        if not key:
            raise ValueError(f"pseudonymise: no key given and ${KEY_ENV} is not set; set it to a secret "
                             "string (never commit it)")
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < 16:
        raise ValueError(f"pseudonymise: the key must be at least 16 bytes, got {len(raw)}")
    s = pd.Series(ids)
    if s.isna().any():
        raise ValueError(f"pseudonymise: {int(s.isna().sum())} missing id(s) in {s.name or 'ids'!r}")
    codes = {v: hmac.new(raw, str(v).encode(), hashlib.sha256).hexdigest()[:16] for v in s.unique()}
    return s.map(codes).astype(str).rename(s.name)


def k_anonymity(table: pd.DataFrame, quasi_identifiers: list[str]) -> int:
    """The smallest number of rows sharing one combination of ``quasi_identifiers`` (missing values count as a value)."""
    missing = [c for c in quasi_identifiers if c not in table.columns]
    if not quasi_identifiers or missing:
        raise ValueError(f"quasi_identifiers: expected columns of the table, missing {missing or 'all (none given)'}")
    if table.empty:
        raise ValueError("table: no rows to check")
    return int(table.groupby(quasi_identifiers, dropna=False, observed=True).size().min())


def laplace_error(sensitivity: float, epsilon: float) -> float:
    """Expected absolute error of the Laplace mechanism: its scale ``sensitivity / epsilon``."""
    if not (np.isfinite(sensitivity) and sensitivity > 0):
        raise ValueError(f"sensitivity: expected a finite number > 0, got {sensitivity!r}")
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon: expected a finite privacy budget > 0, got {epsilon!r}")
    return float(sensitivity / epsilon)


def laplace_release(values: np.ndarray | pd.Series, sensitivity: float, epsilon: float, seed: int) -> np.ndarray:
    """``values`` + Laplace(0, sensitivity / epsilon) noise: each released number is epsilon-differentially private."""
    scale = laplace_error(sensitivity, epsilon)
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)):
        raise ValueError("values: expected finite numbers to release")
    return v + np.random.default_rng(seed).laplace(0.0, scale, v.shape)
