"""One store for every hand-off between notebooks, keyed by profile, seed and dataset.

Introduced in 01_data_cleaning; every notebook after it saves and loads through it.
Layout: ``artifacts/<profile>/<dataset>-seed<seed>/<file>`` with one ``manifest.json`` per
key folder, recording for each artifact written the notebook that produces it and the
fingerprint of what built it (world, code, settings). Two seeds or two datasets never
share a folder, so they never overwrite each other.

:data:`ARTIFACTS` registers every artifact once: its producing notebook, its file and
what it holds. A family (``"predictions/*"``) stands for artifacts named by the caller.

    store = ArtifactStore("quick", seed=0)                # dataset "synthetic"
    path = store.ensure("features/split", fingerprint, build)   # builds it if missing or stale
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .datasets.registry import DATASETS
from .paths import artifacts_dir, relative

DEFAULT_DATASET = "synthetic"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Artifact:
    """A registered hand-off: the notebook that writes it, its file inside the key folder, what it holds."""

    notebook: str
    file: str
    about: str


_FEATURES = {  # name -> (file, what it holds); 02_feature_extraction writes them all
    "split": ("split.json", "the course split's dates (warm-up, train, valid, test)"),
    "intent_labels": ("intent_labels.parquet", "purchase-in-7-days labels per (cut-off, user)"),
    "user_features": ("user_features.parquet", "as-of user features, same rows as intent_labels"),
    "sequences": ("sequences.npz", "event sequences, same rows as intent_labels"),
    "demand_panel": ("demand_panel.parquet", "daily units per product with prices and calendar"),
    "demand_features": ("demand_features.parquet", "one row per (origin, product, horizon) with its label"),
    "product_attributes": ("product_attributes.parquet", "one-hot product attributes"),
    "product_features": ("product_features.parquet", "as-of product features per cut-off"),
    "image_features": ("image_features.parquet", "hand-made image features per product"),
    "product_text": ("product_text.npz", "TF-IDF of titles and descriptions (fit on train)"),
    "review_text": ("review_text.npz", "TF-IDF of reviews (fit on train)"),
    "message_text": ("message_text.npz", "TF-IDF of support messages (fit on train)"),
    "review_labels": ("review_labels.parquet", "review sentiment labels with their part"),
    "message_labels": ("message_labels.parquet", "support-message intent labels with their part"),
    "cold_start_labels": ("cold_start_labels.parquet", "new products' first-weeks units with their part"),
}

ARTIFACTS: dict[str, Artifact] = {
    "cleaning_report": Artifact("01_data_cleaning", "cleaning_report.csv",
                                "rows repaired and quarantined per table and cleaning rule"),
    "cleaned/*": Artifact("01_data_cleaning", "cleaned/{name}.parquet",
                          "a cleaned table in the course schema: what 02 builds its features from"),
    "quarantine/*": Artifact("01_data_cleaning", "quarantine/{name}.parquet",
                             "the raw rows set aside from a table, each with its raw_row and reason"),
    **{f"features/{n}": Artifact("02_feature_extraction", f"features/{f}", about) for n, (f, about) in _FEATURES.items()},
    "oracles/forecast_oracle": Artifact(
        "03_lstm", "oracles/forecast_oracle.parquet",
        "expected units per (origin, product, horizon) from the world's own simulation"),
    "forecasts/*": Artifact("03_lstm", "forecasts/{name}.parquet", "test forecasts of every demand model (06, 07)"),
    "embeddings/*": Artifact("04_bert", "embeddings/{name}.parquet",
                             "frozen MiniLM embeddings of products or reviews (05)"),
    "models/*": Artifact("04_bert", "models/{name}", "a fine-tuned model and its tokenizer (save_pretrained folder)"),
    "predictions/intent": Artifact("03_lstm", "predictions/intent.parquet",
                                   "purchase probabilities of 03's intent models, validation and test rows (07)"),
    "predictions/*": Artifact("04_bert", "predictions/{name}.parquet",
                              "class probabilities per model of a valid or test part (07)"),
    "launch/*": Artifact("05_multimodal_fusion", "launch/{name}",
                         "the launch catalogue (products, truth, images, launch oracle) and its frozen features"),
    "fashion/*": Artifact("05b_fashion_images", "fashion/{name}",
                          "frozen image and text features of the fashion catalogue's products"),
    "decisions/*": Artifact("06_reinforcement_learning", "decisions/{name}.parquet",
                            "cost and service per inventory policy, regret and purchase rate per bandit (07)"),
}

_NAME_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


def artifact(name: str) -> Artifact:
    """The registered artifact ``name`` (or its family ``"<kind>/*"``); ValueError if it is not registered."""
    if name in ARTIFACTS:
        return ARTIFACTS[name]
    kind, _, leaf = name.partition("/")
    family = ARTIFACTS.get(f"{kind}/*")
    if family is None or not _NAME_PART.match(leaf) or leaf in (".", ".."):
        raise ValueError(f"artifact {name!r} is not registered; expected one of {sorted(ARTIFACTS)} "
                         "(a '<kind>/*' family takes any plain name after the slash)")
    return Artifact(family.notebook, family.file.format(name=leaf), family.about)


@dataclass(frozen=True)
class ArtifactStore:
    """The artifacts of one (profile, seed, dataset): ``artifacts/<profile>/<dataset>-seed<seed>/``."""

    profile: str
    seed: int = 0
    dataset: str = DEFAULT_DATASET
    root: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.profile, str) or not _NAME_PART.match(self.profile):
            raise ValueError(f"profile: expected a profile name like 'quick', got {self.profile!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed: expected an integer >= 0, got {self.seed!r}")
        if not isinstance(self.dataset, str) or not _NAME_PART.match(self.dataset):
            raise ValueError(f"dataset: expected a name of letters, digits, '_', '-' or '.', got {self.dataset!r}")

    @property
    def key(self) -> str:
        """``quick/synthetic-seed0``: how messages name this store."""
        return f"{self.profile}/{self.dataset}-seed{self.seed}"

    @property
    def folder(self) -> Path:
        return artifacts_dir(self.profile, self.root) / f"{self.dataset}-seed{self.seed}"

    def producer(self, name: str) -> str:
        """The notebook that writes ``name`` for this store's dataset: the registry's lesson for the
        synthetic world, the dataset's companion of the same number (``01b_online_retail``) for real data."""
        notebook = artifact(name).notebook
        ds = DATASETS.get(self.dataset)
        if self.dataset == DEFAULT_DATASET or ds is None:
            return notebook
        return next((nb for nb in ds.notebooks if nb[:2] == notebook[:2]), notebook)

    def run_hint(self, name: str) -> str:
        """How to build ``name``: the notebook to run, with this store's profile, seed and dataset."""
        dataset = "" if self.dataset == DEFAULT_DATASET else f" (dataset {self.dataset!r})"
        return f"run notebooks/{self.producer(name)}.ipynb with PROFILE={self.profile!r}, SEED={self.seed}{dataset}"

    def path(self, name: str) -> Path:
        """Where artifact ``name`` lives (its parent folder is created)."""
        path = self.folder / artifact(name).file
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def manifest(self) -> dict[str, dict[str, object]]:
        """``{name: {"notebook", "file", "fingerprint", ...}}`` of every artifact recorded here."""
        path = self.folder / MANIFEST
        return json.loads(path.read_text()) if path.exists() else {}

    def record(self, name: str, fingerprint: object = None, **details: object) -> Path:
        """Note in the manifest that ``name`` was just written, built from ``fingerprint``."""
        spec, path = artifact(name), self.path(name)
        if not path.exists():
            raise FileNotFoundError(f"{relative(path)}: record() after writing the artifact, not before")
        entries = self.manifest()
        entries[name] = {"notebook": self.producer(name), "file": spec.file, "fingerprint": fingerprint, **details}
        tmp = self.folder / f"{MANIFEST}.tmp"
        tmp.write_text(json.dumps(entries, indent=1, sort_keys=True, default=str))
        tmp.replace(self.folder / MANIFEST)
        return path

    def status(self, name: str, fingerprint: object = None) -> str:
        """``"fresh"``, ``"not found"`` or ``"stale"`` (built from other inputs than ``fingerprint``)."""
        if not self.path(name).exists() or name not in self.manifest():
            return "not found"
        return "fresh" if self.manifest()[name].get("fingerprint") == _jsonable(fingerprint) else "stale"

    def require(self, name: str) -> Path:
        """The path of an artifact that must exist already; FileNotFoundError names the notebook to run."""
        path = self.path(name)
        if not path.exists():
            raise FileNotFoundError(f"{name} for {self.key} not found ({relative(path)}): {self.run_hint(name)}")
        return path

    def ensure(self, name: str, fingerprint: object, build: Callable[[], object], strict: bool = False,
               verbose: bool = True) -> Path:
        """The path of a fresh ``name``: built by ``build()`` (which writes it) when missing or stale.

        Says so in one line unless ``verbose=False``; with ``strict=True`` raises instead of building.
        """
        state = self.status(name, fingerprint)
        if state == "fresh":
            return self.path(name)
        if strict:
            raise FileNotFoundError(f"{name} for {self.key}: {state}; {self.run_hint(name)} "
                                    "(or call without strict=True)")
        if verbose:
            print(f"building {self.producer(name).split('_')[0]}'s {name} for {self.key}: {state}")
        build()
        if name not in self.manifest() or self.status(name, fingerprint) != "fresh":
            self.record(name, fingerprint)
        return self.path(name)


def _jsonable(value: object) -> object:
    """The fingerprint as the manifest stores it (JSON round trip), so comparisons are like for like."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def registry_table() -> str:
    """The registry as a Markdown table, 02's features on one row (the README's "Where things go" holds it)."""
    features = [n.split("/", 1)[1] for n in ARTIFACTS if n.startswith("features/")]
    rows = []
    for name, a in ARTIFACTS.items():
        if not name.startswith("features/"):
            rows.append(f"| `{name}` | {a.notebook} | `{a.file}` | {a.about} |")
        elif name == f"features/{features[0]}":
            rows.append(f"| `features/<name>` | {a.notebook} | `features/<name>.<ext>` | {len(features)} feature "
                        f"and label tables: {', '.join(features)} |")
    return "\n".join(["| artifact | written by | file | holds |", "|---|---|---|---|", *rows])
