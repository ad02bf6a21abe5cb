"""05b's data: a (stratified) sample of the fashion catalogue, its decoded images and cached frozen features.

The loaders of :mod:`labkit.datasets.fashion` read and count; this module keeps what 05b
computes once per (profile, seed, sample, image size) in the artifact store of the
``fashion_images`` dataset: the frozen EfficientNet-Lite0 features of the images and the
frozen MiniLM embeddings of the product names (``fashion/*``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...artifacts import ArtifactStore
from ...datasets.fashion import FashionImages, load_fashion_images, load_fashion_metadata
from ...datasets.registry import find_dataset_file
from ...profiles import Profile, get_profile
from .data import cached_array


@dataclass
class FashionData:
    """The sampled products with a decoded image, and where their features are cached."""

    meta: pd.DataFrame
    images: np.ndarray = field(repr=False)
    loaded: FashionImages = field(repr=False)
    store: ArtifactStore = field(repr=False)
    fingerprint: dict = field(repr=False)


def fashion_data(profile: str | Profile | None, seed: int, data_dir=None, sample: int | None = None,
                 stratify: str = "season", image_px: int = 128, verbose: bool = True) -> FashionData:
    """``sample`` products (None: all), stratified by ``stratify``, seeded; images decoded at ``image_px``."""
    prof = get_profile(profile)
    path = find_dataset_file("fashion_images", data_dir)
    meta = load_fashion_metadata(path, verbose=verbose)
    if sample is not None and sample < len(meta):
        if sample < 10:
            raise ValueError(f"sample: expected at least 10 products (or None for all), got {sample}")
        rng = np.random.default_rng(seed)
        share = sample / len(meta)
        picks = [rng.choice(idx, max(1, round(share * len(idx))), replace=False)
                 for idx in meta.groupby(meta[stratify].fillna("missing")).indices.values()]
        meta = meta.iloc[np.sort(np.concatenate(picks))].reset_index(drop=True)
    loaded = load_fashion_images(meta, size=image_px, verbose=verbose)
    ids = loaded.meta["id"].to_numpy()
    stat = path.stat()
    fp = {"file": path.name, "bytes": stat.st_size, "ids": hashlib.sha256(ids.tobytes()).hexdigest()[:16],
          "image_px": image_px}
    return FashionData(loaded.meta, loaded.images, loaded, ArtifactStore(prof.name, seed, "fashion_images"), fp)


def fashion_image_features(data: FashionData) -> np.ndarray:
    """Frozen ImageNet EfficientNet-Lite0 features (n, 1280) of the decoded images (at their decoded size)."""
    from ..image.efficientnet import image_features, load_efficientnet_lite0

    px = data.images.shape[1]
    return cached_array(data.store, f"fashion/image_effnet{px}.npy", data.fingerprint,
                        lambda: image_features(load_efficientnet_lite0(), data.images, size=px))


def fashion_text_features(data: FashionData) -> np.ndarray:
    """Frozen MiniLM embeddings (n, 384) of the product display names."""
    from ..text.embeddings import embed

    return cached_array(data.store, "fashion/text_minilm.npy", data.fingerprint,
                        lambda: embed(data.meta["productDisplayName"].astype(str).tolist(), max_length=32))
