"""Real public datasets of the course: where to find them and how to read them.

One way in: ``labkit.datasets.open(name, data_dir)`` (:mod:`.source`) validates the name
against the one registry (:data:`DATASETS`), finds the file and returns its tables in the
course schema. Introduced in 01b_online_retail. Nothing is read on import; the synthetic
world stays the default and lives in :mod:`labkit.world`.
"""

from .online_retail import RAW_COLUMNS, RAW_SCHEMA, load_online_retail
from .online_shoppers import SHOPPERS_COLUMNS, SHOPPERS_SCHEMA, load_online_shoppers
from .registry import DATASETS, REAL_DATA_ENV, Dataset, find_dataset_file, get_dataset, real_data_dir
from .source import Opened, companion_notebooks, open_dataset, readable_names

open = open_dataset  # labkit.datasets.open(name, data_dir): the one way in  # noqa: A001

__all__ = [
    "DATASETS", "RAW_COLUMNS", "RAW_SCHEMA", "REAL_DATA_ENV", "Dataset", "Opened", "companion_notebooks",
    "find_dataset_file", "get_dataset", "load_online_retail", "open", "open_dataset", "readable_names",
    "real_data_dir", "SHOPPERS_COLUMNS", "SHOPPERS_SCHEMA", "load_online_shoppers",
]
