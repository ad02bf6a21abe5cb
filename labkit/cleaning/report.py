"""The result of cleaning one raw table: clean rows, quarantined rows with reasons, a report.

Every raw row ends up kept (maybe repaired) or quarantined with a reason, and
``raw = clean + quarantined`` is checked by :meth:`CleaningResult.check_accounting`.
Introduced in 01_data_cleaning; shared by the synthetic and the real-data cleaners.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import RAW_ROW, REASON  # noqa: F401  (cleaning.RAW_ROW and cleaning.REASON are the notebooks' names)


@dataclass
class CleaningResult:
    """Clean table, quarantined raw rows (with ``raw_row`` and ``reason``) and per-rule counts."""

    table: str
    n_raw: int
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    repaired: dict[str, list[int]] = field(default_factory=dict)  # rule -> raw rows it repaired
    descriptions: dict[str, str] = field(default_factory=dict)  # rule -> one-line explanation
    raw_rows: np.ndarray | None = None  # raw row number of each clean row, in order (optional)
    seconds: float = 0.0  # wall time the cleaning of this table took

    def report(self) -> pd.DataFrame:
        """One row per rule: rows repaired, rows quarantined, what the rule does."""
        rules = list(dict.fromkeys([*self.descriptions, *self.repaired,
                                    *self.quarantine[REASON].unique().tolist()]))
        q = self.quarantine[REASON].value_counts()
        return pd.DataFrame({
            "table": self.table,
            "rule": rules,
            "rows_repaired": [len(self.repaired.get(r, [])) for r in rules],
            "rows_quarantined": [int(q.get(r, 0)) for r in rules],
            "description": [self.descriptions.get(r, "") for r in rules],
        })

    def check_accounting(self) -> None:
        """Raise ``ValueError`` unless raw rows = clean rows + quarantined rows, each once."""
        if len(self.clean) + len(self.quarantine) != self.n_raw:
            raise ValueError(f"{self.table}: {self.n_raw} raw rows but {len(self.clean)} clean + "
                             f"{len(self.quarantine)} quarantined")
        if not self.quarantine[RAW_ROW].is_unique:
            raise ValueError(f"{self.table}: a raw row was quarantined twice")
        if self.quarantine[REASON].isna().any() or (self.quarantine[REASON] == "").any():
            raise ValueError(f"{self.table}: quarantined rows without a reason")
        if self.raw_rows is not None:
            if len(self.raw_rows) != len(self.clean):
                raise ValueError(f"{self.table}: {len(self.raw_rows)} raw_rows for {len(self.clean)} clean rows")
            seen = np.concatenate([np.asarray(self.raw_rows, dtype=np.int64),
                                   self.quarantine[RAW_ROW].to_numpy(dtype=np.int64)])
            if not np.array_equal(np.sort(seen), np.arange(self.n_raw)):
                raise ValueError(f"{self.table}: clean and quarantined raw rows do not cover rows "
                                 f"0..{self.n_raw - 1} exactly once")
