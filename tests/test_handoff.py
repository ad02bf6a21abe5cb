"""07_evaluation's reading of 03-06's artifacts: missing ones named, mismatched ids refused."""

from __future__ import annotations

import pandas as pd
import pytest

from labkit.artifacts import ArtifactStore
from labkit.evaluation import handoff as H


@pytest.fixture()
def store(tmp_path):
    return ArtifactStore("quick", seed=0, root=tmp_path)


def test_table_says_what_is_there(store):
    pd.DataFrame({"policy": ["a"], "regret": [1.0]}).to_parquet(store.path("decisions/bandit"))
    table = H.handoff_table(store)
    assert list(table.index) == list(H.HANDOFFS)
    assert table.loc["decisions/bandit", "found"] and table.loc["decisions/bandit", "rows"] == 1
    assert not table.loc["predictions/intent", "found"]
    assert table.loc["predictions/intent", "written by"] == "03_lstm"
    assert table.loc["predictions/reviews_sentiment_test", "written by"] == "04_bert"


def test_missing_artifact_is_named_and_built_or_left_out(store, capsys):
    assert H.read_handoff(store, "decisions/inventory") is None
    out = capsys.readouterr().out
    assert "decisions/inventory not found" in out and "06_reinforcement_learning.ipynb" in out
    built = H.read_handoff(store, "forecasts/demand_test", build=lambda: pd.DataFrame({"x": [1]}), what="stand-in")
    assert built["x"].tolist() == [1]
    assert "computed here (stand-in)" in capsys.readouterr().out
    assert not (store.folder / "decisions").exists()  # reading creates nothing


def test_attach_refuses_ids_of_another_world():
    labels = pd.DataFrame({"review_id": [1, 2, 3], "user_id": [7, 8, 9]})
    pred = pd.DataFrame({"review_id": [3, 1], "p": [0.2, 0.9]})
    joined = H.attach(pred, labels, "review_id", ["user_id"], "predictions/x")
    assert joined["user_id"].tolist() == [9, 7]
    with pytest.raises(ValueError, match=r"predictions/x: 1 of 3 ids in 'review_id' are not in the labels \(e.g. \[4\]\)"):
        H.attach(pd.concat([pred, pd.DataFrame({"review_id": [4], "p": [0.5]})]), labels, "review_id", ["user_id"],
                 "predictions/x")
    with pytest.raises(ValueError, match="labels: 'review_id' repeats"):
        H.attach(pred, pd.concat([labels, labels]), "review_id", ["user_id"], "predictions/x")
    with pytest.raises(ValueError, match="predictions/x: no column 'review_id'"):
        H.attach(pred.drop(columns="review_id"), labels, "review_id", ["user_id"], "predictions/x")
