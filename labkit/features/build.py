"""Build and load every feature artifact of one profile (02_feature_extraction and after).

``build_features(world, profile, split)`` writes under ``artifacts/<profile>/features/``;
``load_features(profile, name)`` reads one artifact and builds it (only it, and what it
needs) when it is missing or was built from another world or settings, so every later
notebook runs on its own. ``intent_labels``, ``user_features`` and ``sequences`` share
one row order. On big worlds the intent rows are a deterministic sample of about
``max_intent_rows`` (cut-off, user) pairs, drawn by a hash of the pair.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .. import labels as L
from .. import schema as S
from ..paths import artifacts_dir
from ..profiles import Profile, get_profile
from ..splits import LABELLED_PARTS, CourseSplit, course_split, cutoffs, forecast_origins
from .common import savez_fast
from .demand import demand_features, demand_panel
from .eventlog import event_log
from .image import image_features
from .product import product_attributes, product_features
from .sequences import event_sequences, load_sequences, save_sequences
from .text import message_text_features, product_text_features, review_text_features
from .user import user_features

MAX_INTENT_ROWS = 400_000
FEATURE_ARTIFACTS = {  # name -> file
    "split": "split.json", "intent_labels": "intent_labels.parquet", "user_features": "user_features.parquet",
    "sequences": "sequences.npz", "demand_panel": "demand_panel.parquet", "demand_features": "demand_features.parquet",
    "product_attributes": "product_attributes.parquet", "product_features": "product_features.parquet",
    "image_features": "image_features.parquet", "product_text": "product_text.npz", "review_text": "review_text.npz",
    "message_text": "message_text.npz", "review_labels": "review_labels.parquet",
    "message_labels": "message_labels.parquet", "cold_start_labels": "cold_start_labels.parquet",
}
MANIFEST = "manifest.json"
DEMAND_KEYS = [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.PART, S.UNITS]


def features_dir(profile_name: str) -> Path:
    """``artifacts/<profile>/features``, created if needed."""
    path = artifacts_dir(profile_name) / "features"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sample_rows(keys: pd.DataFrame, max_rows: int) -> np.ndarray:
    """Deterministic sample (bool mask) of about ``max_rows`` (cut-off, user) rows (all if fewer)."""
    if len(keys) <= max_rows:
        return np.ones(len(keys), dtype=bool)
    day = pd.DatetimeIndex(keys[S.CUTOFF]).as_unit("s").asi8 // 86_400
    h = pd.util.hash_array(keys[S.USER_ID].to_numpy().astype(np.int64) * 1_000_003 + day) % 2**32
    return h < (max_rows / len(keys)) * 2**32


def intent_labels(tables: dict[str, pd.DataFrame], split: CourseSplit, max_rows: int = MAX_INTENT_ROWS) -> pd.DataFrame:
    """Purchase-intent rows of all parts (cutoff, user_id, part, purchase_next_7d), sampled to ``max_rows``."""
    parts = [L.purchase_labels(tables["orders"], cutoffs(split, p), tables.get("users")).assign(**{S.PART: p})
             for p in LABELLED_PARTS]
    intent = pd.concat(parts, ignore_index=True)
    intent = intent.loc[sample_rows(intent, max_rows)].reset_index(drop=True)
    return intent[[S.CUTOFF, S.USER_ID, S.PART, S.PURCHASE_NEXT_7D]]


def demand_rows(tables: dict[str, pd.DataFrame], split: CourseSplit, panel: pd.DataFrame,
                every_days: int = 7) -> pd.DataFrame:
    """Demand forecast rows of all parts: keys, part, the label ``units`` and the features."""
    frames = []
    for part in LABELLED_PARTS:
        origins = forecast_origins(split, part, every_days=every_days)
        f = demand_features(panel, origins, products=tables.get("products"))
        lab = L.demand_labels(tables["orders"], origins, tables.get("products"))
        f = f.merge(lab[[S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.UNITS]], on=[S.ORIGIN, S.PRODUCT_ID, S.HORIZON],
                    how="left", validate="1:1")
        frames.append(f.assign(**{S.PART: part}))
    demand = pd.concat(frames, ignore_index=True)
    return demand[DEMAND_KEYS + [c for c in demand.columns if c not in DEMAND_KEYS]]


def _save_text(tf, path: Path) -> None:
    m = tf.matrix.tocsr()
    savez_fast(path, {"ids": tf.ids, "data": m.data, "indices": m.indices, "indptr": m.indptr,
                  "shape": np.array(m.shape), "vocabulary": np.array(tf.vocabulary, dtype=str),
                  "n_fit": np.array(tf.n_fit)})


def _load_text(path: Path) -> dict[str, object]:
    with np.load(path) as d:
        matrix = sparse.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))
        return {"ids": d["ids"], "matrix": matrix, "vocabulary": list(d["vocabulary"]), "n_fit": int(d["n_fit"])}


def code_fingerprint() -> str:
    """Hash of the feature, label and split code: artifacts are rebuilt when it changes."""
    import hashlib

    h = hashlib.sha256()
    here = Path(__file__).parent
    for src in [*sorted(here.glob("*.py")), here.parent / "labels.py", here.parent / "splits.py"]:
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    return h.hexdigest()[:16]


def _config(world, prof: Profile, split: CourseSplit, max_intent_rows: int) -> dict[str, object]:
    """What an artifact depends on: the world, the split, the sizes and the feature code."""
    m = world.manifest
    return {"code": code_fingerprint(), "world": world.path.name, "seed": m.get("seed"), "generator": m.get("generator"),
            "world_version": m.get("world_version"), "split": {k: str(v.date()) for k, v in vars(split).items()},
            "seq_len": prof.seq_len, "max_intent_rows": max_intent_rows}


def build_features(world, profile: Profile | str | None = None, split: CourseSplit | None = None,
                   names: list[str] | None = None, max_intent_rows: int = MAX_INTENT_ROWS,
                   verbose: bool = False) -> dict[str, Path]:
    """Build the artifacts ``names`` (default: all of :data:`FEATURE_ARTIFACTS`) for ``world``.

    Returns name -> path of every artifact built; timings go to ``manifest.json``.
    """
    names = list(FEATURE_ARTIFACTS) if names is None else list(names)
    unknown = sorted(set(names) - set(FEATURE_ARTIFACTS))
    if unknown:
        raise ValueError(f"names: unknown artifact(s) {unknown}; expected some of {sorted(FEATURE_ARTIFACTS)}")
    prof = get_profile(profile if profile is not None else world.profile)
    split = split or course_split(world.table("calendar"))
    out = features_dir(prof.name)
    paths = {k: out / FEATURE_ARTIFACTS[k] for k in names}
    want = set(names)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        timings[step] = round(time.perf_counter() - clock[0], 2)
        if verbose:
            print(f"{step}: {timings[step]:.1f} s")
        clock[0] = time.perf_counter()

    t = {n: world.table(n) for n in S.OBSERVED_TABLES}
    lap("load tables")
    if "split" in want:
        paths["split"].write_text(json.dumps({k: str(v.date()) for k, v in vars(split).items()}, indent=1))
    if want & {"intent_labels", "user_features", "sequences"}:
        intent = intent_labels(t, split, max_intent_rows)
        if "intent_labels" in want:
            intent.to_parquet(paths["intent_labels"], index=False)
        lap("intent labels")
        log = event_log(t["events"], t["users"], t["products"])
        lap("event log")
        pop = intent[[S.CUTOFF, S.USER_ID]]
        if "user_features" in want:
            uf = user_features(t["orders"], pop[S.CUTOFF], users=t["users"], products=t["products"],
                               population=pop, log=log)
            pop.merge(uf, on=[S.CUTOFF, S.USER_ID], how="left", validate="1:1").to_parquet(
                paths["user_features"], index=False)
            lap("user features")
        if "sequences" in want:
            save_sequences(event_sequences(log, pop, prof.seq_len), paths["sequences"])
            lap("sequences")
        del log
    if want & {"demand_panel", "demand_features"}:
        panel = demand_panel(t["orders"], t["products"], t["prices"], t["calendar"])
        if "demand_panel" in want:
            panel.to_parquet(paths["demand_panel"], index=False)
        if "demand_features" in want:
            demand_rows(t, split, panel).to_parquet(paths["demand_features"], index=False)
        lap("demand")
    if "product_attributes" in want:
        product_attributes(t["products"]).to_parquet(paths["product_attributes"], index=False)
    if "product_features" in want:
        every = pd.DatetimeIndex([]).append([cutoffs(split, p) for p in LABELLED_PARTS])
        product_features(every, t["products"], t["orders"], t["prices"], t["events"],
                         t["reviews"]).to_parquet(paths["product_features"], index=False)
    if "image_features" in want:
        image_features(world.images(), t["products"][S.PRODUCT_ID].to_numpy()).to_parquet(
            paths["image_features"], index=False)
    lap("products and images")
    for name, fn, table in (("product_text", product_text_features, "products"),
                            ("review_text", review_text_features, "reviews"),
                            ("message_text", message_text_features, "messages")):
        if name in want:
            _save_text(fn(t[table], split), paths[name])
    lap("texts")
    if "review_labels" in want:
        L.review_labels(t["reviews"], split).to_parquet(paths["review_labels"], index=False)
    if "message_labels" in want:
        L.message_labels(t["messages"], split).to_parquet(paths["message_labels"], index=False)
    if "cold_start_labels" in want:
        L.cold_start_labels(t["orders"], t["products"], split).to_parquet(paths["cold_start_labels"], index=False)
    lap("labels")
    _write_manifest(out, names, _config(world, prof, split, max_intent_rows), timings)
    return paths


def _write_manifest(out: Path, names: list[str], config: dict[str, object], timings: dict[str, float]) -> None:
    path = out / MANIFEST
    old = json.loads(path.read_text()).get("artifacts", {}) if path.exists() else {}
    manifest = {"artifacts": {**old, **{n: config for n in names}}, "last_build_s": timings}
    path.write_text(json.dumps(manifest, indent=1))


def load_features(profile_name: str | Profile | None = None, name: str = "user_features", seed: int = 0):
    """One artifact of :data:`FEATURE_ARTIFACTS`: a DataFrame, a dict of arrays (sequences; texts:
    ids, matrix, vocabulary, n_fit) or the :class:`CourseSplit`. Built first if missing or stale."""
    from ..world import ensure_world

    if name not in FEATURE_ARTIFACTS:
        raise ValueError(f"name must be one of {sorted(FEATURE_ARTIFACTS)}, got {name!r}")
    prof = get_profile(profile_name)
    world = ensure_world(prof, seed, verbose=False)
    out = features_dir(prof.name)
    path = out / FEATURE_ARTIFACTS[name]
    config = _config(world, prof, course_split(world.table("calendar")), MAX_INTENT_ROWS)
    manifest = json.loads((out / MANIFEST).read_text()) if (out / MANIFEST).exists() else {}
    if not path.exists() or manifest.get("artifacts", {}).get(name) != config:
        build_features(world, prof, names=[name])
    if name == "split":
        return CourseSplit(**{k: pd.Timestamp(v) for k, v in json.loads(path.read_text()).items()})
    if name == "sequences":
        return load_sequences(path)
    if path.suffix == ".npz":
        return _load_text(path)
    return pd.read_parquet(path)


def build_from_orders(orders: pd.DataFrame, split: CourseSplit | None = None,
                      every_days: int = 7) -> dict[str, pd.DataFrame]:
    """Intent labels, user features and demand rows from an order-line table alone (real data,
    e.g. the cleaned UCI Online Retail): no events, users, prices or calendar needed."""
    split = split or course_split(orders[S.TIMESTAMP])
    tables = {"orders": orders}
    parts = [L.purchase_labels(orders, cutoffs(split, p, every_days=every_days)).assign(**{S.PART: p})
             for p in LABELLED_PARTS]
    intent = pd.concat(parts, ignore_index=True)
    pop = intent[[S.CUTOFF, S.USER_ID]]
    uf = user_features(orders, pop[S.CUTOFF], population=pop)
    uf = pop.merge(uf, on=[S.CUTOFF, S.USER_ID], how="left", validate="1:1")
    demand = demand_rows(tables, split, demand_panel(orders), every_days=every_days)
    return {"intent_labels": intent, "user_features": uf, "demand_features": demand}
