"""What 04_bert hands on: text embeddings (for 05's fusion), the fine-tuned model and test predictions (for 07).

All of them are artifacts of the store (:mod:`labkit.artifacts`), keyed by profile, seed and dataset:

* :func:`save_embeddings` / :func:`load_embeddings` -- ``embeddings/<name>``:
  an id column and ``emb_000 ... emb_383`` (float32, unit length).
* :func:`text_embeddings` -- product (title + description) or review embeddings of the
  frozen MiniLM: read from the artifact, or computed and saved when it is missing, so
  05 runs on its own.
* :func:`save_classifier` / :func:`load_saved_classifier` -- ``save_pretrained`` folders, ``models/<name>``.
* :func:`save_predictions` -- per-model class probabilities on a part (07's leaderboard and calibration).

Frozen (not fine-tuned) embeddings are exported: they need no labels, so they carry no
information from any part's labels into 05, and 05 can rebuild them without running 04.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ... import schema as S
from ...artifacts import DEFAULT_DATASET, ArtifactStore
from ...features.text import product_texts
from ...profiles import get_profile
from ...world.store import ensure_world

EMB_PREFIX = "emb_"
KINDS = {"products": S.PRODUCT_ID, "reviews": S.REVIEW_ID}


def save_embeddings(ids: Sequence[int], vectors: np.ndarray, id_col: str, profile: str, name: str,
                    root: Path | None = None, seed: int = 0, dataset: str = DEFAULT_DATASET) -> Path:
    """Write one row per id: ``id_col`` and ``emb_000..`` columns (float32)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    ids = np.asarray(ids)
    if vectors.ndim != 2 or len(ids) != len(vectors) or not np.isfinite(vectors).all():
        raise ValueError(f"vectors: expected a finite (n_ids={len(ids)}, dim) array, got shape {vectors.shape}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError(f"{id_col}: expected unique ids, found {len(ids) - len(np.unique(ids))} duplicates")
    cols = [f"{EMB_PREFIX}{i:03d}" for i in range(vectors.shape[1])]
    frame = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(vectors, columns=cols)], axis=1)
    store = ArtifactStore(profile, seed, dataset, root)
    path = store.path(f"embeddings/{name}")
    frame.to_parquet(path, index=False)
    store.record(f"embeddings/{name}", {"rows": len(frame), "dim": vectors.shape[1]})
    return path


def load_embeddings(profile: str, name: str, root: Path | None = None, seed: int = 0,
                    dataset: str = DEFAULT_DATASET) -> pd.DataFrame:
    """Read an embeddings artifact (``FileNotFoundError`` names the notebook to run if it is missing)."""
    return pd.read_parquet(ArtifactStore(profile, seed, dataset, root).require(f"embeddings/{name}"))


def embedding_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The ``emb_*`` columns of an embeddings frame as an (n, dim) float32 array."""
    cols = [c for c in frame.columns if str(c).startswith(EMB_PREFIX)]
    if not cols:
        raise ValueError(f"expected columns {EMB_PREFIX}000, {EMB_PREFIX}001, ...; got {list(frame.columns)[:5]}")
    return frame[cols].to_numpy(np.float32)


def text_embeddings(kind: str, profile: object = None, seed: int = 0, name_or_path: str | None = None,
                    max_length: int = 128, rebuild: bool = False, ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Frozen MiniLM embeddings of the world's ``"products"`` or ``"reviews"`` (cached artifact).

    The artifact ``embeddings/<kind>`` of the world's profile and seed is computed (and saved)
    when missing, when ``rebuild``, or when it lacks some of ``ids``, saying so. ``ids`` embeds
    only those rows (04 embeds the reviews its task uses: every review of a large world would
    cost minutes on a CPU); ``None``: every row. Used by 04 (which writes it) and 05 (which reads it).
    """
    from .embeddings import embed  # transformers and torch: loaded only when embeddings are computed

    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    prof = get_profile(profile)
    store = ArtifactStore(prof.name, seed)
    wanted = None if ids is None else pd.Index(np.asarray(ids)).unique()
    if not rebuild:
        if store.path(f"embeddings/{kind}").exists():
            cached = load_embeddings(prof.name, kind, seed=seed)
            if wanted is None or wanted.isin(cached[KINDS[kind]]).all():
                return cached if wanted is None else cached[cached[KINDS[kind]].isin(wanted)].reset_index(drop=True)
            print(f"building 04's embeddings/{kind} for {store.key}: the saved one lacks some of the ids asked for")
        else:
            print(f"building 04's embeddings/{kind} for {store.key}: not found")
    world = ensure_world(prof, seed, verbose=False)
    table = product_texts(world.table("products")) if kind == "products" else world.table("reviews")
    if wanted is not None:
        unknown = wanted[~wanted.isin(table[KINDS[kind]])]
        if len(unknown):
            raise ValueError(f"ids: {len(unknown)} not in the world's {kind} (column {KINDS[kind]!r}), "
                             f"e.g. {list(unknown[:3])}")
        table = table[table[KINDS[kind]].isin(wanted)]
    vectors = embed(table[S.TEXT].tolist(), name_or_path, max_length=max_length)
    save_embeddings(table[KINDS[kind]].to_numpy(), vectors, KINDS[kind], prof.name, kind, seed=seed)
    return load_embeddings(prof.name, kind, seed=seed)


def save_classifier(model, tokenizer, profile: str, name: str, root: Path | None = None, seed: int = 0,
                    dataset: str = DEFAULT_DATASET) -> Path:
    """``save_pretrained`` the model and its tokenizer as the artifact ``models/<name>``."""
    store = ArtifactStore(profile, seed, dataset, root)
    path = store.path(f"models/{name}")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    store.record(f"models/{name}", {"class": type(model).__name__})
    return path


def load_saved_classifier(profile: str, name: str, root: Path | None = None, seed: int = 0,
                          dataset: str = DEFAULT_DATASET):
    """``(model, tokenizer)`` saved by :func:`save_classifier` (07 reloads the fine-tuned model)."""
    from transformers import AutoConfig  # heavy optional library: imported where it is used

    from .bert import load_classifier  # transformers and torch

    path = ArtifactStore(profile, seed, dataset, root).require(f"models/{name}")
    return load_classifier(str(path), int(AutoConfig.from_pretrained(path).num_labels))


def prediction_frame(ids: Sequence[int], y: Sequence[int], probs: dict[str, np.ndarray], classes: Sequence[str],
                     id_col: str = "row_id") -> pd.DataFrame:
    """id, ``label_id`` and one ``<model>:<class>`` probability column per model and class (07 reads it)."""
    out = pd.DataFrame({id_col: np.asarray(ids), "label_id": np.asarray(y, dtype=np.int64)})
    for model, p in probs.items():
        p = np.asarray(p, dtype=np.float32)
        if p.shape != (len(out), len(classes)):
            raise ValueError(f"probs[{model!r}]: expected shape {(len(out), len(classes))}, got {p.shape}")
        for k, c in enumerate(classes):
            out[f"{model}:{c}"] = p[:, k]
    return out


def save_predictions(ids: Sequence[int], y: Sequence[int], probs: dict[str, np.ndarray], classes: Sequence[str],
                     profile: str, name: str, id_col: str = "row_id", root: Path | None = None, seed: int = 0,
                     dataset: str = DEFAULT_DATASET) -> Path:
    """The artifact ``predictions/<name>``: :func:`prediction_frame` of a part's rows."""
    out = prediction_frame(ids, y, probs, classes, id_col)
    store = ArtifactStore(profile, seed, dataset, root)
    path = store.path(f"predictions/{name}")
    out.to_parquet(path, index=False)
    store.record(f"predictions/{name}", {"rows": len(out), "models": sorted(probs), "classes": list(classes)})
    return path
