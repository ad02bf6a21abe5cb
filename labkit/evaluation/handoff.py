"""What 07_evaluation reads from the notebooks before it, and what it does when one has not run.

07 puts every model of the course on one page from the artifacts 03-06 saved (:data:`HANDOFFS`).
:func:`handoff_table` says which are there; :func:`read_handoff` reads one, or, when it is missing,
computes a cheaper stand-in with the ``build`` it is given (saying so), or leaves the task out with a
message naming the notebook to run. :func:`attach` joins saved predictions to their labels' table and
refuses ids that do not match. Tests: tests/test_handoff.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..artifacts import ArtifactStore, artifact

HANDOFFS: dict[str, str] = {  # artifact -> the task 07 scores with it
    "predictions/intent": "purchase intent (03)",
    "forecasts/demand_test": "daily demand (03)",
    "predictions/reviews_sentiment_test": "review sentiment (04)",
    "predictions/messages_intent_test": "support-message intent (04)",
    "predictions/coldstart_test": "cold-start demand (05)",
    "decisions/inventory": "inventory policies (06)",
    "decisions/bandit": "recommendation bandit (06)",
}


def handoff_table(store: ArtifactStore, names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per artifact: the task, the notebook that writes it, whether it is there, its rows."""
    rows = []
    for name, task in (names or HANDOFFS).items():
        path = store.folder / artifact(name).file  # no folder created for a missing artifact
        found = path.exists()
        rows.append({"artifact": name, "task": task, "written by": store.producer(name), "found": found,
                     "rows": len(pd.read_parquet(path)) if found else 0})
    return pd.DataFrame(rows).set_index("artifact")


def read_handoff(store: ArtifactStore, name: str, build: Callable[[], pd.DataFrame] | None = None,
                 what: str = "") -> pd.DataFrame | None:
    """The saved artifact ``name``; when missing, ``build()`` (said in one line) or ``None`` (said too).

    ``what`` names the stand-in ``build`` computes (e.g. "logistic regression and LightGBM only").
    """
    path = store.folder / artifact(name).file
    if path.exists():
        return pd.read_parquet(path)
    if build is None:
        print(f"{name} not found for {store.key}: its task is left out of this run ({store.run_hint(name)} first)")
        return None
    print(f"{name} not found for {store.key}: computed here{f' ({what})' if what else ''}; "
          f"for the full set, {store.run_hint(name)}")
    return build()


def attach(pred: pd.DataFrame, table: pd.DataFrame, key: str, columns: list[str], name: str) -> pd.DataFrame:
    """``pred`` with ``columns`` of ``table`` joined on ``key``; ValueError if an id of ``pred`` is unknown.

    ``name`` is the prediction file's name, for the message. ``table`` must have one row per id.
    """
    for frame, label in ((pred, name), (table, "labels")):
        if key not in frame.columns:
            raise ValueError(f"{label}: no column {key!r} to join on")
    if table[key].duplicated().any():
        raise ValueError(f"labels: {key!r} repeats; expected one row per id")
    unknown = ~pred[key].isin(table[key])
    if unknown.any():
        sample = pred.loc[unknown, key].head(5).tolist()
        raise ValueError(f"{name}: {int(unknown.sum())} of {len(pred)} ids in {key!r} are not in the labels "
                         f"(e.g. {sample}); the predictions belong to another world, seed or split: rerun their notebook")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"labels: missing column(s) {missing}")
    return pred.merge(table[[key, *columns]], on=key, how="left", validate="1:1")
