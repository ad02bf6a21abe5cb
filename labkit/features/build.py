"""Build and load every feature artifact of one profile (02_feature_extraction and after).

``build_features(world, profile, split)`` writes the ``features/*`` artifacts of the world's
seed to the artifact store (``artifacts/<profile>/synthetic-seed<seed>/features/``);
``load_features(profile, name, seed)`` reads one and builds it (only it, and what it
needs, saying so in one line) when it is missing or was built from another world or
settings, so every later notebook runs on its own. ``intent_labels``, ``user_features`` and ``sequences`` share
one row order. On big worlds the intent rows are a deterministic sample of about
``max_intent_rows`` (cut-off, user) pairs, drawn by a hash of the pair.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .. import labels as L
from .. import schema as S
from ..artifacts import ARTIFACTS, ArtifactStore
from ..cleaning import TABLES as CLEANED_TABLES
from ..cleaning import cleaned_tables
from ..profiles import Profile, get_profile
from ..splits import LABELLED_PARTS, CourseSplit, course_split, cutoffs, forecast_origins
from ..world import ensure_world
from .common import savez_fast
from .demand import demand_features, demand_panel
from .eventlog import event_log
from .image import image_features
from .product import product_attributes, product_features
from .sequences import event_sequences, load_sequences, save_sequences
from .text import message_text_features, product_text_features, review_text_features
from .user import user_features

MAX_INTENT_ROWS = 400_000
FEATURE_ARTIFACTS = {  # name -> file inside the store's key folder (registered in labkit.artifacts)
    name.split("/", 1)[1]: spec.file for name, spec in ARTIFACTS.items() if name.startswith("features/")}
DEMAND_KEYS = [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.PART, S.UNITS]


def feature_store(profile_name: str, seed: int = 0) -> ArtifactStore:
    """The artifact store the features of a synthetic world live in (tests point it elsewhere)."""
    return ArtifactStore(profile_name, seed)


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
    """Hash of the feature, label, split and cleaning code: artifacts are rebuilt when it changes."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for src in [*sorted(here.glob("*.py")), here.parent / "labels.py", here.parent / "splits.py",
                *sorted((here.parent / "cleaning").glob("*.py"))]:
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

    Returns name -> path of every artifact built; the store's manifest records what built
    them and the time of each step (``build_s``).
    """
    names = list(FEATURE_ARTIFACTS) if names is None else list(names)
    unknown = sorted(set(names) - set(FEATURE_ARTIFACTS))
    if unknown:
        raise ValueError(f"names: unknown artifact(s) {unknown}; expected some of {sorted(FEATURE_ARTIFACTS)}")
    prof = get_profile(profile if profile is not None else world.profile)
    split = split or course_split(world.table("calendar"))
    store = feature_store(prof.name, world.seed)
    paths = {k: store.path(f"features/{k}") for k in names}
    want = set(names)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        timings[step] = round(time.perf_counter() - clock[0], 2)
        if verbose:
            print(f"{step}: {timings[step]:.1f} s")
        clock[0] = time.perf_counter()

    # 01's cleaned tables (equal to the world's own, as 01 proves); prices and calendar are not in the raw export
    t = {n: world.table(n) for n in S.OBSERVED_TABLES if n not in CLEANED_TABLES}
    t.update(cleaned_tables(prof, world.seed, world=world, verbose=True))  # says so if it cleans
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
    config = _config(world, prof, split, max_intent_rows)
    for name in names:
        store.record(f"features/{name}", config, build_s=timings)
    return paths


def load_features(profile_name: str | Profile | None = None, name: str = "user_features", seed: int = 0,
                  strict: bool = False, verbose: bool = True):
    """One artifact of :data:`FEATURE_ARTIFACTS`: a DataFrame, a dict of arrays (sequences; texts:
    ids, matrix, vocabulary, n_fit) or the :class:`CourseSplit` of the world of ``seed``.

    Built first (one line says so) if missing or stale; ``strict=True`` raises instead,
    naming the notebook to run.
    """
    if name not in FEATURE_ARTIFACTS:
        raise ValueError(f"name must be one of {sorted(FEATURE_ARTIFACTS)}, got {name!r}")
    prof = get_profile(profile_name)
    world = ensure_world(prof, seed, verbose=False)
    config = _config(world, prof, course_split(world.table("calendar")), MAX_INTENT_ROWS)
    path = feature_store(prof.name, seed).ensure(f"features/{name}", config,
                                                 lambda: build_features(world, prof, names=[name]),
                                                 strict=strict, verbose=verbose)
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
