"""Generate the seeded synthetic world and write it as Parquet tables plus ``manifest.json``.

``python -m labkit world`` and :func:`ensure_world` call this; every notebook starts from
it (00_data_tour introduces it). Same seed and profile give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from ..paths import world_dir
from ..profiles import Profile, get_profile
from .calendar import build_calendar, day_effects
from .catalog import Catalog, build_catalog, price_table
from .dirty import write_raw_export
from .feedback import build_messages, build_reviews
from .journeys import JourneyLog, JourneyParams, purchase_within_7d, simulate
from .orders import build_orders
from .users import Population, build_population

WORLD_VERSION = "1.0"
STREAMS = ("catalog", "users", "journeys", "orders", "reviews", "messages", "events", "raw")


def _check_args(profile: Profile | str, seed: object, out: Path | str | None) -> Profile:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    prof = get_profile(profile) if not isinstance(profile, Profile) else profile
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"output folder {str(out)!r} exists and is a file; expected a folder path")
    return prof


def stream_rngs(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per part of the world (:data:`STREAMS`), all from ``seed``."""
    return dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(len(STREAMS)))))


@dataclass(frozen=True)
class Chain:
    """The world's calendar, catalogue, population and journey simulation (its log): what
    every table is built from, and what 03's forecast oracle restarts (:mod:`labkit.oracles`)."""

    calendar: pd.DataFrame
    effects: dict[str, np.ndarray]
    cat: Catalog
    pop: Population
    params: JourneyParams
    log: JourneyLog


def run_journeys(prof: Profile, rngs: dict[str, np.random.Generator], snapshot_days: object = ()) -> Chain:
    """Build the calendar, catalogue and population and run the journeys, drawing from ``rngs``."""
    calendar = build_calendar(prof.start_date, prof.n_days)
    effects = day_effects(calendar)
    cat = build_catalog(rngs["catalog"], prof.n_products, prof.n_days, calendar, prof.image_size)
    pop = build_population(rngs["users"], prof.n_users, prof.n_days, prof.start_date)
    params = JourneyParams()
    log = simulate(rngs["journeys"], cat, pop, effects, params, snapshot_days=snapshot_days)
    return Chain(calendar, effects, cat, pop, params, log)


def build_world(profile: Profile | str = "quick", seed: int = 0) -> dict[str, object]:
    """Build every table in memory: {name: DataFrame}, plus ``images`` and ``params``."""
    prof = _check_args(profile, seed, None)
    rngs = stream_rngs(seed)
    chain = run_journeys(prof, rngs)
    calendar, cat, pop, params, log = chain.calendar, chain.cat, chain.pop, chain.params, chain.log
    start = pd.Timestamp(prof.start_date)
    orders, line_truth = build_orders(rngs["orders"], log, cat, pop, calendar)
    reviews, review_truth = build_reviews(rngs["reviews"], orders, line_truth, cat, pop, start, prof.n_days)
    messages = build_messages(rngs["messages"], orders, line_truth, cat, log, start, prof.n_days)
    events = _events_table(rngs["events"], log, pop, start)
    p7, p_next = purchase_within_7d(log, pop, params)
    return {
        "calendar": calendar, "products": cat.products, "users": pop.users,
        "prices": price_table(cat, calendar), "events": events, "orders": orders,
        "reviews": reviews, "messages": messages,
        "truth_user_days": _user_days(log.states, p7, p_next, calendar),
        "truth_product_days": _product_days(cat, log, calendar),
        "truth_products": cat.truth, "truth_users": pop.truth, "truth_reviews": review_truth,
        "truth_order_lines": line_truth,
        "images": cat.images, "params": params, "profile": prof,
    }


def _events_table(rng: np.random.Generator, log, pop, start: pd.Timestamp) -> pd.DataFrame:
    e = log.events
    order = np.lexsort((e["type"], e["session"], e["time"]))
    user = e["user"][order]
    devices = ["mobile", "desktop", "tablet"]
    own = pd.Categorical(pop.users[S.DEVICE], categories=devices).codes[user]
    device = np.where(rng.random(len(user)) < 0.9, own, rng.integers(0, 3, len(user))).astype(np.int8)
    return pd.DataFrame({
        S.EVENT_ID: np.arange(len(order), dtype=np.int64),
        S.SESSION_ID: e["session"][order].astype(np.int64),
        S.USER_ID: user,
        S.PRODUCT_ID: e["product"][order],
        S.TIMESTAMP: (start + pd.to_timedelta(e["time"][order], unit="s")).as_unit("s"),
        S.EVENT_TYPE: pd.Categorical.from_codes(e["type"][order], categories=list(S.EVENT_TYPES)),
        S.DWELL_SECONDS: e["dwell"][order].astype(np.int32),
        S.DEVICE: pd.Categorical.from_codes(device, categories=devices),
    })


def _user_days(states: np.ndarray, p7: np.ndarray, p_next: np.ndarray, calendar: pd.DataFrame) -> pd.DataFrame:
    day, user = np.nonzero(states >= 0)
    return pd.DataFrame({
        S.DATE: calendar[S.DATE].to_numpy()[day], S.USER_ID: user.astype(np.int32),
        S.STATE: pd.Categorical.from_codes(states[day, user], categories=list(S.JOURNEY_STATES)),
        S.P_PURCHASE_7D: p7[day, user].astype(np.float32),
        S.P_PURCHASE_NEXT_7D: p_next[day, user].astype(np.float32),
    })


def _product_days(cat, log, calendar: pd.DataFrame) -> pd.DataFrame:
    n_days, n = cat.appeal.shape
    return pd.DataFrame({
        S.DATE: np.repeat(calendar[S.DATE].to_numpy(), n),
        S.PRODUCT_ID: np.tile(np.arange(n, dtype=np.int32), n_days),
        S.EXPECTED_UNITS: log.expected_units.ravel(),
        "appeal": np.where(np.isfinite(cat.appeal), cat.appeal, np.nan).ravel(),
        "on_sale": np.isfinite(cat.appeal).ravel(),
    })


def generator_fingerprint() -> str:
    """Hash of the generator's source: a cached world is regenerated when the code changes."""
    h = hashlib.sha256()
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    return h.hexdigest()[:16]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_world(world: dict[str, object], out: Path | str, seed: int, raw: bool = True) -> Path:
    """Write tables (``<name>.parquet``, truth under ``truth/``), images and the manifest."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output folder {str(out)!r} exists and is a file; expected a folder path")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "truth").mkdir(parents=True)
    files: dict[str, dict[str, object]] = {}
    for name in (*S.OBSERVED_TABLES, *S.TRUTH_TABLES):
        df = world[name]
        path = tmp / ("truth" if name.startswith("truth") else ".") / f"{name}.parquet"
        df.to_parquet(path, index=False, compression="zstd")
        files[name] = {"path": path.relative_to(tmp).as_posix(), "rows": int(len(df)),
                       "columns": {c: str(t) for c, t in df.dtypes.items()}}
    np.save(tmp / "product_images.npy", world["images"])
    manifest: dict[str, object] = {
        "world_version": WORLD_VERSION, "generator": generator_fingerprint(), "seed": int(seed), "profile": world["profile"].as_dict(),
        "start_date": str(world["calendar"][S.DATE].iloc[0].date()),
        "end_date": str(world["calendar"][S.DATE].iloc[-1].date()),
        "tables": files,
        "images": {"path": "product_images.npy", "shape": list(world["images"].shape), "dtype": "uint8",
                   "index": "row i is product_id i"},
        "journey_params": world["params"].as_dict(),
        "journey_states": list(S.JOURNEY_STATES),
        "truth_note": "tables under truth/ are hidden ground truth: never use them as features",
    }
    try:
        if raw:
            manifest["raw_export"] = write_raw_export(world, tmp / "raw", seed)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)  # never leave a half-written world behind
        raise
    for info in files.values():
        info["sha256"] = _sha256(tmp / str(info["path"]))
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def generate_world(profile: Profile | str = "quick", seed: int = 0, out: Path | str | None = None,
                   raw: bool = True) -> Path:
    """Build the world for ``profile`` and ``seed`` and write it to ``out`` (default: data/world/...)."""
    prof = _check_args(profile, seed, out)
    if out is None:
        out = world_dir(prof.name, int(seed))
    return write_world(build_world(prof, int(seed)), out, int(seed), raw=raw)
