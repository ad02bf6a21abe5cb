"""Real public datasets of the course: where to find them and how to read them.

Introduced in 01_data_cleaning. Nothing is read on import; the synthetic world stays
the default and lives in :mod:`labkit.world`.
"""

from .online_retail import RAW_COLUMNS, RAW_SCHEMA, load_online_retail
from .online_shoppers import SHOPPERS_COLUMNS, SHOPPERS_SCHEMA, load_online_shoppers
from .registry import DATASETS, REAL_DATA_ENV, Dataset, find_dataset_file, get_dataset, real_data_dir

__all__ = [
    "DATASETS", "RAW_COLUMNS", "RAW_SCHEMA", "REAL_DATA_ENV", "Dataset", "find_dataset_file",
    "get_dataset", "load_online_retail", "real_data_dir",
    "SHOPPERS_COLUMNS", "SHOPPERS_SCHEMA", "load_online_shoppers",
]
