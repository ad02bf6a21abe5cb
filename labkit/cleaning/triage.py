"""Bookkeeping of one raw table's cleaning: which rule quarantined which row, which repaired it.

A :class:`Triage` collects boolean flags rule by rule (the first rule that flags a row
gives its reason) and repairs (rule -> rows), then builds the :class:`CleaningResult`.
Introduced in 01_data_cleaning; shared by the synthetic and the real-data cleaners.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .report import RAW_ROW, REASON, CleaningResult


class Triage:
    """Reasons and repairs for the ``n`` rows of one raw table."""

    def __init__(self, table: str, raw: pd.DataFrame):
        self.table, self.raw = table, raw
        self.reason = np.full(len(raw), "", dtype=object)
        self._kept = np.ones(len(raw), dtype=bool)
        self.repaired: dict[str, list[int]] = {}
        self.descriptions: dict[str, str] = {}
        self.started = time.perf_counter()

    @property
    def kept(self) -> np.ndarray:
        """Rows not quarantined so far (a copy)."""
        return self._kept.copy()

    def describe(self, rule: str, text: str) -> None:
        self.descriptions.setdefault(rule, text)

    def flag(self, mask: np.ndarray | pd.Series, rule: str, text: str) -> None:
        """Quarantine the flagged rows that no earlier rule has quarantined, with reason ``rule``."""
        m = np.asarray(mask.fillna(False) if isinstance(mask, pd.Series) else mask, dtype=bool)
        if m.shape != self.reason.shape:
            raise ValueError(f"{self.table}: rule {rule!r} flags {m.shape[0]} rows, the table has "
                             f"{self.reason.shape[0]}")
        hit = m & self._kept
        self.reason[hit] = rule
        self._kept &= ~hit
        self.describe(rule, text)

    def repair(self, mask: np.ndarray | pd.Series, rule: str, text: str) -> None:
        """Record that ``rule`` changed a value of the flagged rows (rows quarantined in the end are dropped)."""
        m = np.asarray(mask.fillna(False) if isinstance(mask, pd.Series) else mask, dtype=bool)
        rows = np.nonzero(m)[0].tolist()
        if rows:
            self.repaired.setdefault(rule, []).extend(rows)
        self.describe(rule, text)

    def result(self, clean: pd.DataFrame) -> CleaningResult:
        """The :class:`CleaningResult`: ``clean`` must hold exactly the kept rows, in raw order."""
        kept = np.nonzero(self.kept)[0]
        if len(clean) != len(kept):
            raise ValueError(f"{self.table}: {len(clean)} clean rows but {len(kept)} rows kept")
        q = np.nonzero(~self.kept)[0]
        quarantine = self.raw.iloc[q].reset_index(drop=True)
        quarantine.insert(0, REASON, pd.array(self.reason[q], dtype="str"))
        quarantine.insert(0, RAW_ROW, q.astype(np.int64))
        keep = self.kept
        repaired = {rule: sorted(r for r in set(rows) if keep[r]) for rule, rows in self.repaired.items()}
        res = CleaningResult(self.table, len(self.raw), clean.reset_index(drop=True), quarantine,
                             repaired, dict(self.descriptions), raw_rows=kept.astype(np.int64),
                             seconds=time.perf_counter() - self.started)
        res.check_accounting()
        return res
