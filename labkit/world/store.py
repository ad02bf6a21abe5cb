"""Open a generated world from disk, generating it first when it is missing.

Every notebook starts with ``world = ensure_world(PROFILE, SEED)`` (00_data_tour):
observed tables through :meth:`World.table`, hidden ground truth only through
:meth:`World.truth`, so that using the truth as a feature is a visible act.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from ..paths import relative, world_dir
from ..profiles import WORLD_FIELDS, Profile, get_profile
from .generate import WORLD_VERSION, generate_world, generator_fingerprint


@dataclass
class World:
    """A generated world folder: tables, truth, images, raw export and manifest."""

    path: Path
    manifest: dict = field(repr=False)

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def profile(self) -> str:
        return str(self.manifest["profile"]["name"])

    def _file(self, name: str) -> Path:
        tables = self.manifest["tables"]
        if name not in tables:
            raise ValueError(f"unknown table {name!r}; expected one of {sorted(tables)}")
        return self.path / tables[name]["path"]

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """An observed table (``orders``, ``events``, ...). Truth tables are refused here."""
        if name.startswith("truth"):
            raise ValueError(f"{name!r} is hidden ground truth: read it with World.truth(), never as a feature")
        return pd.read_parquet(self._file(name), columns=columns)

    def truth(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A hidden ground-truth table, for oracles and checks only (``truth_user_days``, ...)."""
        if not name.startswith("truth"):
            name = f"truth_{name}"
        return pd.read_parquet(self._file(name), columns=columns)

    def images(self) -> np.ndarray:
        """Product images, (n_products, H, W, 3) uint8; row i is product i."""
        return np.load(self.path / self.manifest["images"]["path"])

    def raw_path(self, table: str) -> Path:
        """Path of a file of the dirty raw export (``orders``, ``events``, ``users`` ...)."""
        raw = self.manifest.get("raw_export")
        if raw is None:
            raise ValueError(f"world {self.path.name!r} was generated without the raw export (raw=False)")
        if table not in raw["tables"]:
            raise ValueError(f"unknown raw table {table!r}; expected one of {sorted(raw['tables'])}")
        return self.path / raw["folder"] / raw["tables"][table]["file"]

    def faults(self) -> pd.DataFrame:
        """Every injected fault of the raw export: table, raw row number, kind, expected action."""
        return pd.read_parquet(self.path / self.manifest["raw_export"]["fault_rows"])


def load_world(path: str | Path) -> World:
    """Open a world folder written by :func:`generate_world`."""
    path = Path(path)
    manifest = path / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{path.name}: no manifest.json here; generate the world with "
                                f"`python -m labkit world` or labkit.ensure_world()")
    return World(path, json.loads(manifest.read_text()))


def ensure_world(profile: str | Profile | None = None, seed: int = 0, path: str | Path | None = None,
                 verbose: bool = True) -> World:
    """Load the world for ``profile``/``seed``, generating it if it is missing or stale."""

    prof = get_profile(profile)
    path = Path(path) if path is not None else world_dir(prof.name, seed)
    manifest = path / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        saved = m.get("profile") or {}
        current = (m.get("world_version"), m.get("generator"), {k: saved.get(k) for k in WORLD_FIELDS}, m.get("seed"))
        if current == (WORLD_VERSION, generator_fingerprint(), prof.world_dict(), seed):
            return World(path, m)
    if verbose:
        print(f"generating the {prof.name!r} world (seed {seed}) into {relative(path)} ...")
    generate_world(prof, seed, path)
    return load_world(path)


__all__ = ["World", "load_world", "ensure_world", "S"]
