"""Score a cleaning against the world's list of injected faults and its clean tables.

A quarantine fault counts as found when its raw row was quarantined; a repair fault
when a rule lists its raw row in ``repaired`` and the kept row equals the clean table's
row. ``rows_lost_wrongly`` counts genuine rows that were quarantined or altered.
Introduced in 01_data_cleaning: these are the metrics the notebook records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..world.store import World
from .report import RAW_ROW, REASON, CleaningResult

METRICS = ("fault_recall", "rows_lost_wrongly", "rows_raw", "rows_clean", "rows_quarantined")


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality of two aligned columns, missing == missing."""
    if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
        if list(a.cat.categories) == list(b.cat.categories):
            return a.cat.codes.to_numpy() == b.cat.codes.to_numpy()
        a, b = a.astype("str"), b.astype("str")
    both_na = a.isna().to_numpy() & b.isna().to_numpy()
    try:
        same = (a == b).fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        same = a.astype("str").to_numpy() == b.astype("str").to_numpy()
    return same | both_na


def _rows_equal(clean: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """True for each row pair whose every truth column is equal (a missing column: all False)."""
    ok = np.ones(len(truth), dtype=bool)
    for col in truth.columns:
        if col not in clean.columns:
            return np.zeros(len(truth), dtype=bool)
        ok &= _equal(clean[col].reset_index(drop=True), truth[col].reset_index(drop=True))
    return ok


def _audit_table(name: str, res: CleaningResult, faults: pd.DataFrame,
                 truth: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    if res.raw_rows is None:
        raise ValueError(f"{name}: the CleaningResult has no raw_rows (raw row of each clean row); "
                         "the audit needs them to compare rows")
    f = faults[faults["table"] == name]
    rows = f["row"].to_numpy(dtype=np.int64)
    quarantine_fault = np.zeros(res.n_raw, dtype=bool)
    quarantine_fault[rows[f["action"].to_numpy() == "quarantine"]] = True
    genuine = np.nonzero(~quarantine_fault)[0]  # raw rows that are clean-table rows, in order
    if len(genuine) != len(truth):
        raise ValueError(f"{name}: {len(genuine)} raw rows without a quarantine fault but the clean table "
                         f"has {len(truth)} rows; are the results from this world?")
    pos = np.full(res.n_raw, -1, dtype=np.int64)
    pos[np.asarray(res.raw_rows, dtype=np.int64)] = np.arange(len(res.raw_rows))
    row_ok = np.zeros(res.n_raw, dtype=bool)  # genuine and kept and equal to its clean row
    kept = pos[genuine] >= 0
    if kept.any():
        got = res.clean.iloc[pos[genuine[kept]]]
        row_ok[genuine[kept]] = _rows_equal(got, truth.iloc[np.nonzero(kept)[0]])
    quarantined = np.zeros(res.n_raw, dtype=bool)
    quarantined[res.quarantine[RAW_ROW].to_numpy(dtype=np.int64)] = True
    rule = np.full(res.n_raw, "", dtype=object)  # the cleaner's reason or repair rule(s) per raw row
    rule[res.quarantine[RAW_ROW].to_numpy(dtype=np.int64)] = res.quarantine[REASON].to_numpy(dtype=object)
    repaired = np.zeros(res.n_raw, dtype=bool)
    for name_, listed in res.repaired.items():
        idx = np.asarray(listed, dtype=np.int64)
        repaired[idx] = True
        rule[idx] = np.where(rule[idx] == "", name_, rule[idx] + "+" + name_)
    is_q = f["action"].to_numpy() == "quarantine"
    found = np.where(is_q, quarantined[rows], repaired[rows] & row_ok[rows])
    detail = f.assign(found=found, rule=rule[rows])
    stats = {"table": name, "faults": len(f), "faults_found": int(found.sum()),
             "fault_recall": float(found.mean()) if len(f) else 1.0,
             "rows_lost_wrongly": int((~row_ok[genuine]).sum()),
             "rows_raw": res.n_raw, "rows_clean": len(res.clean), "rows_quarantined": len(res.quarantine)}
    return stats, detail


def audit(world: World, results: dict[str, CleaningResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(per_table, per_fault)``: metrics per table and one row per injected fault (found or not).

    Compares with ``world.faults()`` and ``world.table(name)``, i.e. with what the cleaner
    must never read. Introduced in 01_data_cleaning.
    """
    if not results:
        raise ValueError("results is empty: pass the dict returned by clean_raw_export()")
    faults = world.faults()
    stats, details = [], []
    for name, res in results.items():
        s, d = _audit_table(name, res, faults, world.table(name))
        stats.append(s)
        details.append(d)
    return pd.DataFrame(stats), pd.concat(details, ignore_index=True)


def fault_recall(world: World, results: dict[str, CleaningResult]) -> dict[str, float | int]:
    """Notebook 01's metrics, summed over tables: fault_recall (in [0, 1]), rows_lost_wrongly,
    rows_raw, rows_clean, rows_quarantined. Per table: :func:`audit`."""
    per_table, _ = audit(world, results)
    total = per_table[["faults", "faults_found", "rows_lost_wrongly", "rows_raw", "rows_clean",
                       "rows_quarantined"]].sum()
    recall = float(total["faults_found"] / total["faults"]) if total["faults"] else 1.0
    return {"fault_recall": recall, **{m: int(total[m]) for m in METRICS[1:]}}


def fault_report(world: World, results: dict[str, CleaningResult]) -> pd.DataFrame:
    """Recall per table and fault kind, with the cleaner's most common reason or repair rule for it.

    Introduced in 01_data_cleaning.
    """
    _, detail = audit(world, results)
    g = detail.groupby(["table", "kind", "action"], sort=False)
    out = g.agg(faults=("found", "size"), found=("found", "sum")).reset_index()
    out["recall"] = out["found"] / out["faults"]
    out["rule"] = g["rule"].agg(lambda r: r[r != ""].mode().iloc[0] if (r != "").any() else "").to_numpy()
    return out
