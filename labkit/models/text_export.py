"""What 04_bert hands on: text embeddings (for 05's fusion), the fine-tuned model and test predictions (for 07).

* :func:`save_embeddings` / :func:`load_embeddings` -- ``artifacts/<profile>/embeddings/<name>.parquet``:
  an id column and ``emb_000 ... emb_383`` (float32, unit length).
* :func:`text_embeddings` -- product (title + description) or review embeddings of the
  frozen MiniLM: read from the artifact, or computed and saved when it is missing, so
  05 runs on its own.
* :func:`save_classifier` / :func:`load_saved_classifier` -- ``save_pretrained`` folders under
  ``artifacts/<profile>/models/``.
* :func:`save_predictions` -- per-model class probabilities on a test part (07's leaderboard).

Frozen (not fine-tuned) embeddings are exported: they need no labels, so they carry no
information from any part's labels into 05, and 05 can rebuild them without running 04.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import schema as S

EMB_PREFIX = "emb_"
KINDS = {"products": S.PRODUCT_ID, "reviews": S.REVIEW_ID}


def _folder(profile: str, what: str, root: Path | None = None) -> Path:
    from ..paths import artifacts_dir

    folder = artifacts_dir(profile, root) / what
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_embeddings(ids: Sequence[int], vectors: np.ndarray, id_col: str, profile: str, name: str,
                    root: Path | None = None) -> Path:
    """Write one row per id: ``id_col`` and ``emb_000..`` columns (float32)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    ids = np.asarray(ids)
    if vectors.ndim != 2 or len(ids) != len(vectors) or not np.isfinite(vectors).all():
        raise ValueError(f"vectors: expected a finite (n_ids={len(ids)}, dim) array, got shape {vectors.shape}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError(f"{id_col}: expected unique ids, found {len(ids) - len(np.unique(ids))} duplicates")
    cols = [f"{EMB_PREFIX}{i:03d}" for i in range(vectors.shape[1])]
    frame = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(vectors, columns=cols)], axis=1)
    path = _folder(profile, "embeddings", root) / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def load_embeddings(profile: str, name: str, root: Path | None = None) -> pd.DataFrame:
    """Read an embeddings artifact (``FileNotFoundError`` names the file if it is missing)."""
    from ..paths import artifacts_dir

    path = artifacts_dir(profile, root) / "embeddings" / f"{name}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no embeddings yet; run 04_bert or call text_embeddings()")
    return pd.read_parquet(path)


def embedding_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The ``emb_*`` columns of an embeddings frame as an (n, dim) float32 array."""
    cols = [c for c in frame.columns if str(c).startswith(EMB_PREFIX)]
    if not cols:
        raise ValueError(f"expected columns {EMB_PREFIX}000, {EMB_PREFIX}001, ...; got {list(frame.columns)[:5]}")
    return frame[cols].to_numpy(np.float32)


def text_embeddings(kind: str, profile: object = None, seed: int = 0, name_or_path: str | None = None,
                    max_length: int = 128, rebuild: bool = False) -> pd.DataFrame:
    """Frozen MiniLM embeddings of the world's ``"products"`` or ``"reviews"`` (cached artifact).

    The artifact is named ``<kind>_seed<seed>``; it is computed (and saved) when missing or
    when ``rebuild``. Used by 04 (which writes it) and 05 (which reads it).
    """
    from ..features.text import product_texts
    from ..profiles import get_profile
    from ..world.store import ensure_world
    from .bert import embed

    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    prof = get_profile(profile)
    name = f"{kind}_seed{seed}"
    if not rebuild:
        try:
            return load_embeddings(prof.name, name)
        except FileNotFoundError:
            pass
    world = ensure_world(prof, seed, verbose=False)
    table = product_texts(world.table("products")) if kind == "products" else world.table("reviews")
    vectors = embed(table[S.TEXT].tolist(), name_or_path, max_length=max_length)
    save_embeddings(table[KINDS[kind]].to_numpy(), vectors, KINDS[kind], prof.name, name)
    return load_embeddings(prof.name, name)


def save_classifier(model, tokenizer, profile: str, name: str, root: Path | None = None) -> Path:
    """``save_pretrained`` the model and its tokenizer to ``artifacts/<profile>/models/<name>``."""
    path = _folder(profile, "models", root) / name
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def load_saved_classifier(profile: str, name: str, root: Path | None = None):
    """``(model, tokenizer)`` saved by :func:`save_classifier` (07 reloads the fine-tuned model)."""
    from ..paths import artifacts_dir
    from .bert import load_classifier

    path = artifacts_dir(profile, root) / "models" / name
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: no saved model; run 04_bert first")
    from transformers import AutoConfig

    return load_classifier(str(path), int(AutoConfig.from_pretrained(path).num_labels))


def save_predictions(ids: Sequence[int], y: Sequence[int], probs: dict[str, np.ndarray], classes: Sequence[str],
                     profile: str, name: str, id_col: str = "row_id", root: Path | None = None) -> Path:
    """``artifacts/<profile>/predictions/<name>.parquet``: id, ``label_id`` and ``<model>:<class>`` probabilities."""
    out = pd.DataFrame({id_col: np.asarray(ids), "label_id": np.asarray(y, dtype=np.int64)})
    for model, p in probs.items():
        p = np.asarray(p, dtype=np.float32)
        if p.shape != (len(out), len(classes)):
            raise ValueError(f"probs[{model!r}]: expected shape {(len(out), len(classes))}, got {p.shape}")
        for k, c in enumerate(classes):
            out[f"{model}:{c}"] = p[:, k]
    path = _folder(profile, "predictions", root) / f"{name}.parquet"
    out.to_parquet(path, index=False)
    return path
