"""05's data: the launch catalogue of a world, its split, and each modality's frozen features, cached.

:func:`launch_data` draws the profile's ``launch_products`` new products for the world of
(profile, seed) and scores them with the launch oracle (:mod:`labkit.oracles.launch`), once:
the products, the hidden truth, the images and the oracle are artifacts ``launch/*`` of the
store. :func:`text_features` (frozen MiniLM, 04's model) and :func:`image_features`
(ImageNet EfficientNet-Lite0) are cached beside them. The models, fusion and training loops
are 05's own cells.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import schema as S
from ...artifacts import ArtifactStore
from ...profiles import Profile, get_profile

PARTS = ("train", "valid", "test")


@dataclass
class LaunchData:
    """New products as a model sees them (``products``, ``images``), their labels and what is hidden."""

    products: pd.DataFrame  # product table + part (train / valid / test)
    images: np.ndarray = field(repr=False)  # (n, size, size, 3) uint8
    oracle: pd.DataFrame = field(repr=False)  # product_id, launch_day, cohort, expected_units, _se, units
    truth: pd.DataFrame = field(repr=False)  # the hidden attributes and appeal parts (for probes and oracles only)
    store: ArtifactStore = field(repr=False)
    fingerprint: dict = field(repr=False)

    def rows(self, part: str) -> np.ndarray:
        """Row positions of ``part`` (train, valid or test)."""
        if part not in PARTS:
            raise ValueError(f"part: expected one of {PARTS}, got {part!r}")
        return np.flatnonzero(self.products[S.PART].to_numpy() == part)


def _code() -> str:
    here = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for rel in ("oracles/launch.py", "oracles/demand.py", "models/fusion/data.py"):
        h.update((here / rel).read_bytes())
    return h.hexdigest()[:16]


def launch_data(profile: str | Profile | None = None, seed: int = 0, n: int | None = None, replications: int = 4,
                verbose: bool = True) -> LaunchData:
    """The launch catalogue of (profile, seed): built on first use (quick: about 30 s on 2 cores), then read.

    Split: a seeded 60 / 20 / 20 split of the products into train, valid and test (stratified
    by launch day, so every part sees every season).
    """
    from ...oracles import rebuild_chain
    from ...oracles.launch import draw_launch_catalog, launch_days, launch_oracle
    from ...world.generate import generator_fingerprint

    prof = get_profile(profile)
    n = prof.launch_products if n is None else int(n)
    store = ArtifactStore(prof.name, seed)
    fp = {"generator": generator_fingerprint(), "code": _code(), "n": n, "replications": replications}
    names = ("launch/products.parquet", "launch/truth.parquet", "launch/images.npy", "launch/oracle.parquet")
    if any(store.status(name, fp) != "fresh" for name in names):
        if verbose:
            print(f"building 05's launch catalogue for {store.key}: {n:,} new products, launch oracle "
                  f"({replications} rollouts each)")
        chain = rebuild_chain(prof, seed, snapshot_days=launch_days(prof.n_days))
        cat = draw_launch_catalog(chain, n, seed=seed)
        oracle = launch_oracle(chain, cat, replications=replications, seed=seed)
        rng = np.random.default_rng(seed)
        part = np.empty(n, dtype=object)
        for day in np.unique(cat.truth["launch_day"]):
            idx = rng.permutation(np.flatnonzero(cat.truth["launch_day"].to_numpy() == day))
            cut = np.round(np.array([0.6, 0.8]) * len(idx)).astype(int)
            part[idx[: cut[0]]], part[idx[cut[0]: cut[1]]], part[idx[cut[1]:]] = PARTS
        cat.products.assign(**{S.PART: part.astype(str)}).to_parquet(store.path(names[0]), index=False)
        cat.truth.to_parquet(store.path(names[1]), index=False)
        np.save(store.path(names[2]), cat.images)
        oracle.to_parquet(store.path(names[3]), index=False)
        for name in names:
            store.record(name, fp, rows=n)
    return LaunchData(pd.read_parquet(store.path(names[0])), np.load(store.path(names[2])),
                      pd.read_parquet(store.path(names[3])), pd.read_parquet(store.path(names[1])), store, fp)


def cached_array(store: ArtifactStore, name: str, fingerprint: dict, build) -> np.ndarray:
    """The array artifact ``name`` (an .npy file): ``build()`` once, read back while ``fingerprint`` holds (05, 05b)."""
    path = store.ensure(name, fingerprint, lambda: np.save(store.path(name), build()), verbose=False)
    return np.load(path)


def text_features(data: LaunchData, max_length: int = 128) -> np.ndarray:
    """Frozen MiniLM embeddings (n, 384) of each product's title and description (04's packaged model)."""
    from ..text.embeddings import embed

    texts = (data.products[S.TITLE] + ". " + data.products[S.DESCRIPTION]).tolist()
    return cached_array(data.store, "launch/text_minilm.npy", {**data.fingerprint, "max_length": max_length},
                        lambda: embed(texts, max_length=max_length))


def image_features(data: LaunchData, size: int = 128, batch_size: int = 64) -> np.ndarray:
    """Frozen ImageNet EfficientNet-Lite0 features (n, 1280) of each product's image, upsampled to ``size`` px."""
    from ..image.efficientnet import image_features as features, load_efficientnet_lite0

    return cached_array(data.store, f"launch/image_effnet{size}.npy", {**data.fingerprint, "size": size},
                        lambda: features(load_efficientnet_lite0(), data.images, batch_size=batch_size, size=size))
