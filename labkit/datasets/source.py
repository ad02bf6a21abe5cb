"""One way in for the real datasets: ``labkit.datasets.open(name)`` (introduced in 01b_online_retail).

``open`` validates the name against the one list of names (:data:`~.registry.DATASETS`),
finds the file under the data folder and reads it with the dataset's loader into the
course schema. The result says what it holds (``tables``), where it came from (``path``),
which companion notebooks teach it (``notebooks``) and that a real dataset has no hidden
truth (``has_truth`` False: no oracle, no fault audit, no state).

The synthetic world is not opened here: it is generated, with its truth, by
``labkit.ensure_world`` (00-04), which sits above this package.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .fashion import load_fashion_metadata
from .online_retail import load_online_retail
from .online_shoppers import load_online_shoppers
from .registry import DATASETS, Dataset, find_dataset_file, get_dataset
from .text_data import load_bitext, load_womens_reviews

# dataset name -> (table name, loader(path, verbose=...)); one reader per registered real dataset
READERS: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "online_retail": ("orders", load_online_retail),
    "online_shoppers": ("sessions", load_online_shoppers),
    "womens_reviews": ("reviews", load_womens_reviews),
    "bitext": ("messages", load_bitext),
    "fashion_images": ("products", load_fashion_metadata),  # the images: labkit.datasets.fashion.load_fashion_images
}


@dataclass(frozen=True)
class Opened:
    """A real dataset read into the course schema: its tables, its file, no hidden truth."""

    dataset: Dataset
    path: Path
    tables: dict[str, pd.DataFrame] = field(repr=False)
    has_truth: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # the loader options it was read with

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def notebooks(self) -> tuple[str, ...]:
        """The companion notebooks that run the course's lessons on this dataset."""
        return self.dataset.notebooks

    def table(self, name: str) -> pd.DataFrame:
        """One table by name; a ``ValueError`` lists the tables this dataset has."""
        if name not in self.tables:
            raise ValueError(f"dataset {self.name!r} has no table {name!r}; it has {', '.join(self.tables)}")
        return self.tables[name]

    def no_truth(self, what: str) -> str:
        """The one line a truth-needing step prints on real data instead of a number."""
        return f"{self.name}: no hidden truth in a real dataset, so no {what}"


def companion_notebooks() -> tuple[str, ...]:
    """The notebooks that run on real data only (``01b_online_retail``, ...), in course order."""
    return tuple(sorted({nb for d in DATASETS.values() if d.is_real for nb in d.notebooks}))


def readable_names() -> tuple[str, ...]:
    """The names :func:`open_dataset` reads (the registry's real datasets that have a reader)."""
    return tuple(name for name in DATASETS if name in READERS)


def read_options(name: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """``options`` without None values, checked against the reader of dataset ``name`` (01b's DAYFIRST, SHEET)."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    if name not in READERS:
        return given
    loader = READERS[name][1]
    accepted = [p for p in inspect.signature(loader).parameters if p not in ("path_or_dir", "path", "verbose")]
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ValueError(f"dataset {name!r}: reader {loader.__name__} takes no option(s) {unknown}; "
                         f"expected some of {accepted}")
    return given


def open_dataset(name: str, data_dir: str | os.PathLike | None = None, *, verbose: bool = True,
                 **options: Any) -> Opened:
    """Read real dataset ``name`` from ``data_dir`` (None: ``$LABKIT_REAL_DATA``) into the course schema.

    ``options`` go to the dataset's reader (Online Retail: ``dayfirst``, ``sheet``); None means
    the reader's default, and an option the reader does not take is a ``ValueError``.

    Raises ``ValueError`` for an unknown name or a dataset without a reader (both list the
    names that can be opened), ``FileNotFoundError`` naming every path looked at when the
    file is missing, and the loader's ``ValueError`` (file, column, row) for a bad file.
    """
    ds = get_dataset(name) if name in DATASETS else None
    if ds is None or name not in READERS:
        hint = " (the synthetic world is generated, with its truth, by labkit.ensure_world)" if name == "synthetic" else ""
        raise ValueError(f"dataset {name!r} cannot be opened{hint}; expected one of {', '.join(readable_names())}")
    given = read_options(name, options)
    path = find_dataset_file(name, data_dir)
    table, loader = READERS[name]
    return Opened(ds, path, {table: loader(path, verbose=verbose, **given)}, options=given)
