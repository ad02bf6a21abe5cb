"""Fault injectors of the dirty raw export (:mod:`labkit.world.dirty`): how a clean table is made messy.

:class:`RawTable` holds a raw table under construction (clean rows as strings), injects
faults at known counts and records each affected row, so 01_data_cleaning can prove that
it found every fault and harmed no clean row. The functions below each make one kind of
mess of a column's values (prices as text, label variants, HTML, emoji, mojibake).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

EMOJI = ("😍", "👍", "🔥", "😡", "✨", "🙂")


class RawTable:
    """A raw table under construction: clean rows as strings, extra rows and fault records."""

    def __init__(self, name: str, df: pd.DataFrame, rng: np.random.Generator):
        self.name, self.rng = name, rng
        self.df = df.reset_index(drop=True)
        self.free = np.ones(len(df), dtype=bool)  # rows not yet touched by a repair fault
        self.extras: list[tuple[pd.DataFrame, np.ndarray, str, str]] = []
        self.repairs: list[tuple[np.ndarray, str]] = []

    def count(self, frac: float, minimum: int = 1) -> int:
        return max(minimum, int(round(frac * len(self.df))))

    def repair(self, kind: str, frac: float, column: str, fn, eligible: np.ndarray | None = None) -> None:
        ok = self.free & (eligible if eligible is not None else True)
        pool = np.nonzero(ok)[0]
        rows = np.sort(self.rng.choice(pool, min(self.count(frac), len(pool)), replace=False))
        self.df.loc[rows, column] = fn(self.df.loc[rows, column].to_numpy(), rows)
        self.free[rows] = False
        self.repairs.append((rows, kind))

    def add(self, kind: str, rows: pd.DataFrame, after: np.ndarray | None = None) -> None:
        """Add extra (junk) rows, each placed right after a random clean row (or ``after``)."""
        if after is None:
            after = self.rng.integers(0, len(self.df), len(rows))
        self.extras.append((rows.reset_index(drop=True), np.asarray(after), kind, "quarantine"))

    def sample(self, n: int) -> np.ndarray:
        return np.sort(self.rng.choice(len(self.df), min(n, len(self.df)), replace=False))

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        key = [np.arange(len(self.df)) * 2.0]
        parts, kinds, actions, orig = [self.df], [np.full(len(self.df), "", dtype=object)], [], []
        actions.append(np.full(len(self.df), "", dtype=object))
        for rows, kind in self.repairs:
            kinds[0][rows] = kind
            actions[0][rows] = "repair"
        for rows, after, kind, action in self.extras:
            parts.append(rows)
            key.append(after * 2.0 + 1.0)
            kinds.append(np.full(len(rows), kind, dtype=object))
            actions.append(np.full(len(rows), action, dtype=object))
        out = pd.concat(parts, ignore_index=True)
        order = np.argsort(np.concatenate(key), kind="stable")
        out = out.iloc[order].reset_index(drop=True)
        kind, action = np.concatenate(kinds)[order], np.concatenate(actions)[order]
        hit = np.nonzero(kind != "")[0]
        faults = pd.DataFrame({"table": self.name, "row": hit.astype(np.int64), "kind": kind[hit],
                               "action": action[hit]})
        return out, faults


def fmt_ts(ts: pd.Series) -> np.ndarray:
    return ts.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)


def messy_price(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    v = values.astype(float)
    style = rng.integers(0, 3, len(v))
    a = np.array([f"£{x:,.2f}" for x in v], dtype=object)
    b = np.array([f"{x:.2f} GBP" for x in v], dtype=object)
    c = np.array([f" {x:,.2f} " for x in v], dtype=object)
    return np.where(style == 0, a, np.where(style == 1, b, c))


def label_variant(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = []
    for v, k in zip(values, rng.integers(0, 4, len(values))):
        v = str(v)
        out.append([v.upper(), f" {v.title()}", f"{v}  ", v[:-2] + v[-1] + v[-2] if len(v) > 3 else v.upper()][k])
    return np.array(out, dtype=object)


def html_wrapped(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.array([f"<p>{html.escape(str(v))}</p>" if k else f"<b>{html.escape(str(v))}</b><br/>"
                     for v, k in zip(values, rng.integers(0, 2, len(values)))], dtype=object)


def with_emoji(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.array([f"{v} {EMOJI[k]}" for v, k in zip(values, rng.integers(0, len(EMOJI), len(values)))], dtype=object)


def mojibake(values: np.ndarray) -> np.ndarray:
    # UTF-8 bytes of a curly apostrophe read as cp1252: the classic "â€™"
    return np.array([str(v).replace("'", "\u2019").encode("utf-8").decode("cp1252") for v in values], dtype=object)
