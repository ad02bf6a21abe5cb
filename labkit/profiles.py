"""Run-size profiles: one frozen dataclass of sizes, epochs and batch sizes.

``quick`` is every notebook's default (and CI's), ``cpu`` suits a learner's laptop,
``gpu`` is the instructor's full-size run. ``LABKIT_PROFILE`` overrides a notebook's
default; single values are overridden with keyword arguments (notebook parameters).
Introduced in 00_data_tour and used by every notebook.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

PROFILE_ENV = "LABKIT_PROFILE"


@dataclass(frozen=True)
class Profile:
    """Sizes of the world and of every model in the course for one run size."""

    name: str
    # synthetic world
    n_users: int
    n_products: int
    n_days: int
    start_date: str = "2023-01-02"
    image_size: int = 64
    # sequence models (03)
    seq_len: int = 64
    lstm_hidden: int = 64
    lstm_epochs: int = 2
    batch_size: int = 256
    tune_budget: int = 2  # configurations tried on validation, the same number for every model family
    seq_train_rows: int = 10_000  # training rows (a seeded sample) the sequence models tune on
    seq_final_rows: int = 10_000  # training rows of the final LSTM/GRU (more than there are: all)
    seq_valid_rows: int = 8_000  # validation rows scored after each epoch (more than there are: all)
    seq_curve_points: int = 2  # learning-curve sizes below all training users (of 5 %, 15 %, 40 %; the largest kept)
    forecast_epochs: int = 3  # epochs of the global demand LSTM
    # text models (04)
    bert_max_texts: int = 600  # training texts per model (a seeded stratified sample beyond it)
    bert_max_length: int = 64
    bert_epochs: int = 2
    bert_batch_size: int = 16
    bert_eval_texts: int = 600  # valid and test texts scored (a seeded stratified sample beyond it)
    bert_tune_budget: int = 1  # learning rates tried on validation per model (labkit.models.text.tasks.PRETRAINED_LRS)
    bert_curve_points: int = 1  # learning-curve sizes below the full training set (0: full size only)
    bert_scratch_epochs: int = 4  # epochs of the same network from random weights (it wants more than fine-tuning)
    bert_more_tasks: int = 2  # extra tasks fine-tuned after sentiment (labkit.models.text.tasks.MORE_TASKS; 0: none)
    # fusion (05) and reinforcement learning (06)
    launch_products: int = 2_000  # new products of 05's launch catalogue (labkit.oracles.launch)
    fusion_epochs: int = 5
    rl_episodes: int = 200
    rl_steps: int = 1_500_000  # environment steps of 06's PPO per problem (64 copies stepped at once)
    # weeks between refits of 03's LightGBM in 06 Part 6: weekly on quick, whose one-year world gives the first
    # models five weeks of history (every 4: lead-time WAPE 0.279 -> 0.322); on cpu every 4 costs 0.004 WAPE and
    # keeps 06 within 15 minutes (benchmarks/README.md, "06 Part 6 on 03's forecast")
    forecast_refit_weeks: int = 1
    # evaluation (07)
    bootstrap_samples: int = 500

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.type in ("int", int) and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"profile parameter {field.name!r} must be an int, got {value!r}")
            least = 0 if field.name in ZERO_OK else 1
            if field.type in ("int", int) and value < least:
                raise ValueError(f"profile parameter {field.name!r} must be >= {least}, got {value}")
        for name, least in (("n_users", 50), ("n_products", 6), ("n_days", 28)):
            if getattr(self, name) < least:
                raise ValueError(f"profile parameter {name!r} must be >= {least} (a world needs every "
                                 f"category and a few weeks), got {getattr(self, name)}")
        if self.image_size < 16:
            raise ValueError(f"profile parameter 'image_size' must be >= 16, got {self.image_size}")

    def replace(self, **overrides: object) -> "Profile":
        """Return a copy with some values overridden (e.g. notebook parameters)."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown profile parameter(s) {unknown}; expected some of {sorted(known)}")
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    def world_dict(self) -> dict[str, object]:
        """The values that shape the synthetic world (a cached world stays valid when others change)."""
        return {k: getattr(self, k) for k in WORLD_FIELDS}


ZERO_OK = frozenset({"bert_curve_points", "bert_more_tasks"})  # int fields that may be 0; every other one must be > 0
WORLD_FIELDS = ("name", "n_users", "n_products", "n_days", "start_date", "image_size")


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick", n_users=4_000, n_products=40, n_days=364, lstm_hidden=32, lstm_epochs=4,
        seq_train_rows=1_000_000, seq_final_rows=1_000_000, seq_valid_rows=10_000_000,  # all rows (~79k train)
        bert_max_texts=2_000, bert_epochs=2, bert_eval_texts=1_100, bert_curve_points=0, bert_more_tasks=0,
        bert_scratch_epochs=2,  # as many as the fine-tune: twice would add ~100 s to 04
    ),
    "cpu": Profile(
        name="cpu", n_users=20_000, n_products=160, n_days=728,
        # 00-04 within 45 min on 2 cores (README): the final LSTM/GRU train on 120k of the ~224k training rows,
        # 04 tries one learning rate per model (the best of earlier runs comes first), one learning-curve size
        # below the full set, 3 scratch epochs and no extra task (was 61 min for 04 alone, benchmarks/README.md)
        lstm_epochs=3, tune_budget=3, seq_train_rows=40_000, seq_final_rows=120_000, seq_valid_rows=10_000_000,
        seq_curve_points=2, forecast_epochs=8,
        bert_max_texts=3000, bert_epochs=2, bert_batch_size=32, bert_eval_texts=1500, bert_tune_budget=1,
        bert_curve_points=1, bert_scratch_epochs=3, bert_more_tasks=0,
        launch_products=5_000, fusion_epochs=10,
        rl_episodes=1000, rl_steps=4_000_000, forecast_refit_weeks=4, bootstrap_samples=1000,
    ),
    "gpu": Profile(
        name="gpu", n_users=150_000, n_products=1_000, n_days=728,
        seq_len=128, lstm_hidden=128, lstm_epochs=10, batch_size=1024, tune_budget=6,
        seq_train_rows=200_000, seq_final_rows=10_000_000, seq_valid_rows=10_000_000,
        seq_curve_points=3, forecast_epochs=12,
        bert_max_texts=200_000, bert_max_length=128, bert_epochs=3, bert_scratch_epochs=6, bert_batch_size=128,
        bert_eval_texts=50_000, bert_tune_budget=3, bert_curve_points=4,
        launch_products=20_000, fusion_epochs=20, rl_episodes=5000, rl_steps=10_000_000, forecast_refit_weeks=4,
        bootstrap_samples=2000,
    ),
}


def default_profile_name(fallback: str = "quick") -> str:
    """The profile a notebook uses: ``$LABKIT_PROFILE`` if set, else ``fallback``."""
    return os.environ.get(PROFILE_ENV) or fallback


def get_profile(name: str | Profile | None = None, **overrides: object) -> Profile:
    """Look up a profile by name (``None`` → :func:`default_profile_name`) and apply overrides.

    Overrides whose value is ``None`` are ignored, so notebook parameters can default to None.
    """
    if isinstance(name, Profile):
        profile = name
    else:
        key = default_profile_name() if name is None else name
        if key not in PROFILES:
            raise ValueError(f"unknown profile {key!r}; expected one of {sorted(PROFILES)}")
        profile = PROFILES[key]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return profile.replace(**overrides) if overrides else profile
