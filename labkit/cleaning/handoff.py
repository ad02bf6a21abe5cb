"""What 01_data_cleaning hands on: the cleaned tables and the quarantine, as artifacts.

The course's pipeline is collect -> clean -> features: 02 builds its features from the
tables 01 cleaned (``cleaned/<table>``), never from a second cleaning of its own. For the
synthetic world the cleaned tables equal the world's own clean tables exactly, which 01
shows and ``tests/test_cleaning_synthetic.py`` keeps proving; for a real export they are
all there is. :func:`cleaned_tables` reads them, and cleans the raw data first (saying so
in one line) when 01 has not run for this profile, seed and dataset, or ran on other data
or with other cleaning code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from ..artifacts import DEFAULT_DATASET, ArtifactStore
from ..datasets import find_dataset_file, open_dataset
from ..datasets.source import read_options as _checked_options
from ..profiles import Profile, get_profile
from ..world.store import ensure_world
from .online_retail import clean_online_retail
from .report import CleaningResult
from .synthetic import TABLES, clean_raw_export

DATASET_TABLES = {DEFAULT_DATASET: TABLES, "online_retail": ("orders",)}  # what each dataset's cleaner returns
CLEANING_NOTEBOOK = {DEFAULT_DATASET: "01_data_cleaning", "online_retail": "01b_online_retail"}  # who saves them


def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    return h.hexdigest()[:16]


def _source(profile: Profile, seed: int, dataset: str, data_dir: str | Path | None, world=None,
            options: dict | None = None) -> tuple[dict, object]:
    """``(fingerprint of the raw data, its handle)``: the world for the synthetic track, the file for a real one."""
    if dataset == DEFAULT_DATASET:
        world = world if world is not None else ensure_world(profile, seed, verbose=False)
        m = world.manifest
        return {"world": world.path.name, "generator": m.get("generator"), "profile": m.get("profile")}, world
    path = Path(find_dataset_file(dataset, data_dir))
    stat = path.stat()
    given = _checked_options(dataset, options)  # a different sheet or date order is a different table
    return {"file": path.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            **({"read": {k: str(v) for k, v in sorted(given.items())}} if given else {})}, path


def _check_dataset(dataset: str) -> tuple[str, ...]:
    if dataset not in DATASET_TABLES:
        raise ValueError(f"dataset: 01_data_cleaning cleans {sorted(DATASET_TABLES)}, got {dataset!r}")
    return DATASET_TABLES[dataset]


def save_cleaned(results: dict[str, CleaningResult], profile: str | Profile, seed: int = 0,
                 dataset: str = DEFAULT_DATASET, data_dir: str | Path | None = None, world=None,
                 read_options: dict | None = None) -> ArtifactStore:
    """Save each table's clean rows (``cleaned/<table>``) and quarantine (``quarantine/<table>``); 01's last step.

    ``world``: the world that was cleaned, if not the default world of (profile, seed);
    ``read_options``: the reader options of a real file (01b's ``source.options``).
    """
    _check_dataset(dataset)
    prof = get_profile(profile)
    fingerprint = {"code": _code_fingerprint(), "source": _source(prof, seed, dataset, data_dir, world, read_options)[0]}
    store = ArtifactStore(prof.name, seed, dataset)
    for table, result in results.items():
        for kind, frame in (("cleaned", result.clean), ("quarantine", result.quarantine)):
            frame.reset_index(drop=True).to_parquet(store.path(f"{kind}/{table}"), index=False)
            store.record(f"{kind}/{table}", fingerprint, rows=len(frame))
    return store


def cleaned_tables(profile: str | Profile | None = None, seed: int = 0, dataset: str = DEFAULT_DATASET,
                   data_dir: str | Path | None = None, tables: tuple[str, ...] | None = None,
                   strict: bool = False, verbose: bool = True, world=None,
                   read_options: dict | None = None) -> dict[str, pd.DataFrame]:
    """01's cleaned tables of (profile, seed, dataset): ``{table: DataFrame}`` in the course schema.

    Cleans the raw data first when they are missing or stale (``strict=True``: raises instead,
    naming 01). ``tables`` defaults to every table the dataset's cleaner returns; ``world`` is
    the synthetic world to clean if not the default world of (profile, seed); ``read_options``
    go to a real file's reader (Online Retail: ``dayfirst``, ``sheet``) and into the fingerprint.
    """
    available = _check_dataset(dataset)
    tables = available if tables is None else tuple(tables)
    unknown = sorted(set(tables) - set(available))
    if unknown:
        raise ValueError(f"tables: {dataset} has no cleaned table(s) {unknown}; expected some of {available}")
    prof = get_profile(profile)
    store = ArtifactStore(prof.name, seed, dataset)
    fingerprint_source, handle = _source(prof, seed, dataset, data_dir, world, read_options)
    fingerprint = {"code": _code_fingerprint(), "source": fingerprint_source}
    states = {t: store.status(f"cleaned/{t}", fingerprint) for t in tables}
    stale = [t for t, state in states.items() if state != "fresh"]
    if stale:
        why = states[stale[0]]
        if strict:
            raise FileNotFoundError(f"cleaned/{stale[0]} for {store.key}: {why}; run notebooks/"
                                    f"{CLEANING_NOTEBOOK[dataset]}.ipynb with PROFILE={prof.name!r}, SEED={seed}")
        if verbose:
            print(f"building {CLEANING_NOTEBOOK[dataset].split('_')[0]}'s cleaned tables for {store.key}: {why}")
        if dataset == DEFAULT_DATASET:
            results = clean_raw_export(handle)
        else:
            results = {"orders": clean_online_retail(open_dataset(dataset, data_dir, verbose=False, **(read_options or {})).table("orders"))}
        save_cleaned(results, prof, seed, dataset, data_dir, handle if dataset == DEFAULT_DATASET else None)
    return {t: pd.read_parquet(store.path(f"cleaned/{t}")) for t in tables}
