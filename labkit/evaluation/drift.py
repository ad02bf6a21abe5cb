"""Drift monitor on features and predictions (07_evaluation, "retraining and drift").

* :func:`psi` -- population stability index of a window against a reference sample:
  ``sum (q - p) * ln(q / p)`` over bins cut at the reference's quantiles (repeated quantiles
  merge, so a constant or zero-heavy feature gets "<= value" / "> value" bins; NaN is a bin
  of its own; shares are floored at ``EPS`` so an empty bin stays finite). 0: same shape;
  rule of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 large shift.
* :func:`ks` -- two-sample Kolmogorov-Smirnov statistic (max gap between the empirical CDFs,
  NaN dropped) and its p-value.
* :func:`drift_report` -- one row per (window, feature): psi, ks, ks_pvalue and ``flagged``.
* :func:`calibrate_threshold` -- thresholds (one, or one per feature) from windows known to be
  ordinary (e.g. training weeks), so the alarm rate is fixed before the monitor sees the test period.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import require

EPS = 1e-4  # floor on bin shares
METHODS = ("psi", "ks")


def _values(x: object, name: str) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64).ravel()
    if len(v) == 0:
        raise ValueError(f"{name}: empty sample")
    return v


def quantile_edges(reference: object, bins: int = 10) -> np.ndarray:
    """Inner cut points: the distinct reference quantiles at 1/bins, ..., (bins-1)/bins (NaN ignored)."""
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    ref = _values(reference, "reference")
    ref = ref[~np.isnan(ref)]
    if len(ref) == 0:
        return np.empty(0)
    return np.unique(np.quantile(ref, np.arange(1, bins) / bins))


def _shares(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin shares: bins (-inf, e1], (e1, e2], ..., (ek, inf), then NaN."""
    nan = np.isnan(x)
    counts = np.bincount(np.searchsorted(edges, x[~nan], side="left"), minlength=len(edges) + 1)
    return np.append(counts, nan.sum()) / len(x)


def psi(reference: object, current: object, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference`` (bins from the reference)."""
    ref, cur = _values(reference, "reference"), _values(current, "current")
    edges = quantile_edges(ref, bins)
    p, q = np.maximum(_shares(ref, edges), EPS), np.maximum(_shares(cur, edges), EPS)
    return float(np.sum((q - p) * np.log(q / p)))


def ks(reference: object, current: object) -> tuple[float, float]:
    """Two-sample KS statistic and p-value (NaN dropped; (0, 1) if either side is all NaN)."""
    from scipy.stats import ks_2samp

    ref, cur = _values(reference, "reference"), _values(current, "current")
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return 0.0, 1.0
    res = ks_2samp(ref, cur)
    return float(res.statistic), float(res.pvalue)


def _windows(windows: Mapping[Hashable, pd.DataFrame] | pd.DataFrame, by: str) -> dict[Hashable, pd.DataFrame]:
    if isinstance(windows, pd.DataFrame):
        require(windows, [by], "windows")
        return {key: w for key, w in windows.groupby(by, sort=True)}
    if not isinstance(windows, Mapping):
        raise ValueError(f"windows: expected a DataFrame or a mapping of name -> DataFrame, got {type(windows)}")
    return dict(windows)


def drift_report(reference: pd.DataFrame, windows: Mapping[Hashable, pd.DataFrame] | pd.DataFrame,
                 features: Sequence[str], threshold: float | Mapping[str, float] = 0.25, method: str = "psi",
                 bins: int = 10, by: str = S.ORIGIN) -> pd.DataFrame:
    """Per (window, feature): ``psi``, ``ks``, ``ks_pvalue`` and ``flagged`` (``method`` statistic > threshold).

    ``windows``: a mapping name -> rows, or one frame split into windows by column ``by``
    (default: one window per forecast origin). Every window needs every feature column.
    ``threshold``: one number, or one per feature (a mapping, e.g. from :func:`calibrate_threshold`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not features:
        raise ValueError("features: give at least one feature column")
    thr = dict(threshold) if isinstance(threshold, Mapping) else {f: threshold for f in features}
    if set(features) - set(thr):
        raise ValueError(f"threshold: no value for feature(s) {sorted(set(features) - set(thr))}")
    if any(not np.isfinite(thr[f]) or thr[f] < 0 for f in features):
        raise ValueError(f"threshold must be finite and >= 0, got {threshold!r}")
    require(reference, list(features), "reference")
    if len(reference) == 0:
        raise ValueError("reference: no rows")
    parts = _windows(windows, by)
    if not parts:
        raise ValueError("windows: no windows")
    out = []
    for key, w in parts.items():
        require(w, list(features), f"windows[{key!r}]")
        if len(w) == 0:
            raise ValueError(f"windows[{key!r}]: no rows")
        for f in features:
            d, pv = ks(reference[f], w[f])
            out.append({"window": key, "feature": f, "psi": psi(reference[f], w[f], bins), "ks": d, "ks_pvalue": pv})
    table = pd.DataFrame(out)
    table["flagged"] = table[method] > table["feature"].map(thr)
    return table


def window_flags(report: pd.DataFrame) -> pd.DataFrame:
    """One row per window: ``flagged`` (any feature), ``n_flagged``, ``features`` (the flagged ones, by statistic)."""
    require(report, ["window", "feature", "flagged"], "report")
    g = report.groupby("window", sort=True)
    return pd.DataFrame({"flagged": g["flagged"].any(), "n_flagged": g["flagged"].sum().astype(int),
                         "features": g.apply(lambda d: ", ".join(d.loc[d["flagged"], "feature"]),
                                             include_groups=False)}).reset_index()


def calibrate_threshold(report: pd.DataFrame, alarm_rate: float = 0.1, method: str = "psi",
                        per_feature: bool = False) -> float | dict[str, float]:
    """Threshold(s) at which about ``alarm_rate`` of the report's (ordinary) windows raise an alarm.

    One number: the (1 - alarm_rate) quantile over windows of each window's largest statistic.
    ``per_feature``: one threshold per feature, the (1 - alarm_rate / n_features) quantile of
    that feature's statistic (a Bonferroni split of the alarm rate across features).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0 <= alarm_rate < 1:
        raise ValueError(f"alarm_rate must be in [0, 1), got {alarm_rate!r}")
    require(report, ["window", "feature", method], "report")
    if len(report) == 0:
        raise ValueError("report: no rows")
    if per_feature:
        q = 1 - alarm_rate / report["feature"].nunique()
        return {f: float(np.quantile(v, q, method="higher")) for f, v in report.groupby("feature")[method]}
    return float(np.quantile(report.groupby("window")[method].max(), 1 - alarm_rate, method="higher"))
