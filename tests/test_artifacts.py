"""The artifact store: one key folder per (profile, seed, dataset), fingerprints, clear messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from labkit.artifacts import ARTIFACTS, ArtifactStore, artifact, registry_table
from labkit.paths import repo_root


def _write(store: ArtifactStore, name: str, value: int) -> None:
    pd.DataFrame({"x": [value]}).to_parquet(store.path(name), index=False)
    store.record(name, {"value": value})


def test_seeds_and_datasets_live_side_by_side(tmp_path):
    stores = [ArtifactStore("quick", s, d, root=tmp_path) for s in (0, 1) for d in ("synthetic", "online_retail")]
    for i, store in enumerate(stores):
        _write(store, "forecasts/demand_test", i)
    before = {s.key: s.path("forecasts/demand_test").read_bytes() for s in stores}
    assert len({s.folder for s in stores}) == 4 and len(set(before.values())) == 4
    _write(stores[1], "forecasts/demand_test", 99)  # rewriting one key touches no other
    for store in (stores[0], stores[2], stores[3]):
        assert store.path("forecasts/demand_test").read_bytes() == before[store.key]
    assert stores[0].folder == tmp_path / "artifacts" / "quick" / "synthetic-seed0"
    assert stores[3].key == "quick/online_retail-seed1"


def test_ensure_builds_missing_and_stale_artifacts_and_says_so(tmp_path, capsys):
    store = ArtifactStore("quick", 0, root=tmp_path)
    built = []

    def build(value):
        return lambda: (built.append(value), pd.DataFrame({"x": [value]}).to_parquet(store.path("features/split")))

    store.ensure("features/split", {"code": "a"}, build("a"))
    assert capsys.readouterr().out == "building 02's features/split for quick/synthetic-seed0: not found\n"
    store.ensure("features/split", {"code": "a"}, build("again"))  # fresh: not rebuilt, nothing printed
    assert built == ["a"] and capsys.readouterr().out == ""
    store.ensure("features/split", {"code": "b"}, build("b"))  # upstream changed: rebuilt
    assert built == ["a", "b"] and "features/split for quick/synthetic-seed0: stale" in capsys.readouterr().out
    entry = store.manifest()["features/split"]
    assert entry["notebook"] == "02_feature_extraction" and entry["fingerprint"] == {"code": "b"}
    assert json.loads((store.folder / "manifest.json").read_text()) == store.manifest()


def test_strict_raises_with_the_producing_notebook(tmp_path):
    store = ArtifactStore("cpu", 3, root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"oracles/forecast_oracle for cpu/synthetic-seed3: not found; "
                                                r"run notebooks/03_lstm.ipynb with PROFILE='cpu', SEED=3"):
        store.ensure("oracles/forecast_oracle", {}, lambda: None, strict=True)
    with pytest.raises(FileNotFoundError, match=r"run notebooks/04b_real_texts.ipynb .*\(dataset 'bitext'\)"):
        ArtifactStore("quick", 0, "bitext", root=tmp_path).require("predictions/intent_test")


def test_names_and_keys_are_checked(tmp_path):
    assert artifact("predictions/reviews_sentiment_test").file == "predictions/reviews_sentiment_test.parquet"
    assert artifact("features/sequences").notebook == "02_feature_extraction"
    for bad in ("features/nope", "nope", "predictions/../x", "predictions/"):
        with pytest.raises(ValueError, match="is not registered"):
            artifact(bad)
    for kwargs, what in (({"profile": ""}, "profile"), ({"profile": "quick", "seed": -1}, "seed"),
                         ({"profile": "quick", "seed": True}, "seed"),
                         ({"profile": "quick", "dataset": "a/b"}, "dataset")):
        with pytest.raises(ValueError, match=what):
            ArtifactStore(root=tmp_path, **kwargs)
    store = ArtifactStore("quick", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="after writing"):
        store.record("cleaning_report", {})


def test_readme_lists_every_registered_artifact():
    readme = (repo_root() / "README.md").read_text()
    assert registry_table() in readme, "README's 'Where things go' is out of date: paste artifacts.registry_table()"
    assert all(name.split("/")[-1] in readme for name in ARTIFACTS)
