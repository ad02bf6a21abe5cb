"""The last N events of each user before each cut-off, as padded integer arrays for 03's LSTM.

Per (cut-off, user) row and event slot (left-padded; ``mask`` 1 on real events):
``event_type`` 1..5 (schema.EVENT_TYPES order), ``product`` product code + 1,
``category`` category code + 1, ``dwell_bucket`` 1..8, ``gap_bucket`` 1..11 (time since
the user's previous event; 11 = none before), ``hours_before`` (whole hours before the
end of the cut-off day, capped at 8760) and four relation flags: ``seen_before`` (the
user touched the same product in the 7 days before this event), ``carted_before``
(added it to the cart in those 7 days), ``same_session`` and ``same_category`` as the
user's previous event. 0 everywhere in padding. Only events before the end of the
cut-off day are used, and every per-event value looks only backwards.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import as_days, require
from .asof import DAY_NS, cutoff_ends_ns
from .common import savez_fast
from .eventlog import EventLog

DWELL_EDGES = np.array([5, 10, 20, 40, 80, 160, 320])  # seconds -> buckets 1..8
GAP_EDGES = np.array([30, 120, 600, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400])  # -> 1..10
NO_GAP = len(GAP_EDGES) + 2  # 11: first event of the user
RELATION_DAYS = 7
MAX_HOURS = 8760
FIELDS = {  # name -> dtype of the (rows, seq_len) arrays
    "event_type": np.int8, "product": np.int16, "category": np.int8, "dwell_bucket": np.int8,
    "gap_bucket": np.int8, "hours_before": np.int16, "seen_before": np.int8, "carted_before": np.int8,
    "same_session": np.int8, "same_category": np.int8, "mask": np.int8,
}


def _per_event(log: EventLog) -> dict[str, np.ndarray]:
    """Slot values of every event of the log (time order), all looking backwards only."""
    t = log.time_ns
    prev = log.prev_user
    has_prev = prev >= 0
    p0 = np.maximum(prev, 0)
    gap = (t - t[p0]) / 1e9
    recent = RELATION_DAYS * DAY_NS
    pp, pc = log.prev_user_product, log.prev_cart_same_product
    return {
        "event_type": (log.etype + 1).astype(np.int8),
        "product": (log.product + 1).astype(np.int16),
        "category": (log.category + 1).astype(np.int8),
        "dwell_bucket": (np.digitize(log.dwell, DWELL_EDGES) + 1).astype(np.int8),
        "gap_bucket": np.where(has_prev, np.digitize(gap, GAP_EDGES) + 1, NO_GAP).astype(np.int8),
        "seen_before": ((pp >= 0) & (t - t[np.maximum(pp, 0)] < recent)).astype(np.int8),
        "carted_before": ((pc >= 0) & (t - t[np.maximum(pc, 0)] < recent)).astype(np.int8),
        "same_session": (has_prev & (log.session[p0] == log.session)).astype(np.int8),
        "same_category": (has_prev & (log.category[p0] == log.category)).astype(np.int8),
    }


def event_sequences(log: EventLog, population: pd.DataFrame, seq_len: int,
                    chunk: int = 50_000) -> dict[str, np.ndarray]:
    """Padded arrays (rows of ``population``: cut-off, user_id; in its order) of the last
    ``seq_len`` events before the end of each cut-off day, plus ``user_id`` and ``cutoff``."""
    require(population, [S.CUTOFF, S.USER_ID], "population")
    if seq_len < 1:
        raise ValueError(f"seq_len must be >= 1, got {seq_len}")
    if log.n_products + 1 > np.iinfo(np.int16).max:
        raise ValueError(f"too many products ({log.n_products}) for int16 product codes")
    codes = log.user_index.get_indexer(population[S.USER_ID])
    if (codes < 0).any():
        raise ValueError(f"population: {(codes < 0).sum()} user_id(s) not in the event log's users")
    cut = pd.DatetimeIndex(population[S.CUTOFF]).as_unit("ns")
    as_days(cut, "population.cutoff")  # validates
    ends = cutoff_ends_ns(cut)
    # events grouped by user (time order inside): the user's block and a sortable key
    by_user = log.by_user
    t0 = int(log.time_ns.min(initial=0))
    sec = (log.time_ns[by_user] - t0) // 10**9
    key = log.user[by_user].astype(np.int64) * 2**32 + sec
    block_start = np.searchsorted(log.user[by_user], np.arange(log.n_users), side="left")
    end_key = codes.astype(np.int64) * 2**32 + np.clip((ends - t0) // 10**9, 0, 2**32 - 1)
    stop = np.searchsorted(key, end_key, side="left")  # first event at or after the end
    values = {k: v[by_user] for k, v in _per_event(log).items()}
    t_user = log.time_ns[by_user]
    n = len(population)
    out = {k: np.zeros((n, seq_len), dtype=dt) for k, dt in FIELDS.items()}
    for lo in range(0, n, chunk):
        sl = slice(lo, min(lo + chunk, n))
        idx = stop[sl, None] - seq_len + np.arange(seq_len)[None, :]
        ok = idx >= block_start[codes[sl]][:, None]
        safe = np.where(ok, idx, 0)
        for k, v in values.items():
            np.multiply(v[safe], ok, out=out[k][sl], casting="unsafe")
        hours = np.clip((ends[sl, None] - t_user[safe]) // (3600 * 10**9), 0, MAX_HOURS)
        np.multiply(hours, ok, out=out["hours_before"][sl], casting="unsafe")
        out["mask"][sl] = ok
    out[S.USER_ID] = population[S.USER_ID].to_numpy()
    out[S.CUTOFF] = cut.to_numpy().astype("datetime64[D]")
    return out


def save_sequences(seqs: dict[str, np.ndarray], path: str | Path) -> Path:
    """Write the arrays to one ``.npz`` file (zlib level 1: quick to write, mostly padding squeezed)."""
    return savez_fast(path, seqs)


def load_sequences(path: str | Path) -> dict[str, np.ndarray]:
    """Read arrays written by :func:`save_sequences`."""
    with np.load(Path(path)) as data:
        return {k: data[k] for k in data.files}


def cutoff_of(seqs: dict[str, np.ndarray]) -> pd.DatetimeIndex:
    """The cut-off of each row as timestamps (the file stores days)."""
    return pd.DatetimeIndex(seqs[S.CUTOFF].astype("datetime64[ns]"))

