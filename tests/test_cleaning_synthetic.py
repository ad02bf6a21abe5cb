"""The synthetic track of 01_data_cleaning: the raw export cleans back to the clean tables.

On the quick world and on a second, smaller world (other seed and sizes): every injected
fault is found (recall 1.0), no genuine row is lost or altered, the six clean tables equal
the world's exactly (dtypes included), every raw row is accounted for, and the DuckDB
path gives the same orders and events, quarantine and repairs as the pandas path.
"""

from __future__ import annotations

import pandas as pd
import pytest

import labkit
from labkit import cleaning
from labkit import schema as S
from labkit.cleaning import (CANCELLATION_REASON, RAW_ROW, REASON, TABLES, audit, clean_raw_export,
                             clean_raw_export_sql, fault_recall, fault_report, load_raw, summary)


@pytest.fixture(scope="module")
def quick(quick_world):
    return quick_world, clean_raw_export(quick_world)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    prof = labkit.get_profile("quick", n_users=800, n_products=20, n_days=120)
    world = labkit.load_world(labkit.generate_world(prof, 3, tmp_path_factory.mktemp("world") / "small-seed3"))
    return world, clean_raw_export(world)


@pytest.fixture(params=["quick", "small"])
def cleaned(request):
    return request.getfixturevalue(request.param)


def test_recall_is_one_and_no_row_is_lost(cleaned):
    world, results = cleaned
    m = fault_recall(world, results)
    assert m["fault_recall"] == 1.0
    assert m["rows_lost_wrongly"] == 0
    assert m["rows_raw"] == m["rows_clean"] + m["rows_quarantined"]
    assert m["rows_raw"] == sum(info["rows"] for info in world.manifest["raw_export"]["tables"].values())
    per_table, _ = audit(world, results)
    assert (per_table["fault_recall"] == 1.0).all() and (per_table["rows_lost_wrongly"] == 0).all()


def test_clean_tables_equal_the_world(cleaned):
    world, results = cleaned
    assert list(results) == list(TABLES)
    for name, res in results.items():
        # check_exact: floats are equal to the bit, and categoricals compare fast
        pd.testing.assert_frame_equal(res.clean, world.table(name), check_exact=True, obj=name)


def test_every_raw_row_is_accounted_for(cleaned):
    world, results = cleaned
    for name, res in results.items():
        res.check_accounting()
        assert res.n_raw == len(load_raw(world, name)) == len(res.clean) + len(res.quarantine)
        assert res.quarantine.columns[:2].tolist() == [RAW_ROW, REASON]
        assert (res.quarantine[REASON] != "").all()
        report = res.report()
        assert report["rows_quarantined"].sum() == len(res.quarantine)
    table = summary(results)
    assert (table["rows_raw"] == table["rows_clean"] + table["rows_quarantined"]).all()


def test_reasons_name_the_fault_kinds(quick):
    world, results = quick
    report = fault_report(world, results)
    assert (report["recall"] == 1.0).all()
    expected = report["kind"].where(report["kind"] != "cancellation", CANCELLATION_REASON)
    assert (report["rule"] == expected).all(), report[report["rule"] != expected]


def test_cancellations_mark_their_originals(quick):
    world, results = quick
    orders = results["orders"]
    cancelled = orders.clean[orders.clean[S.STATUS] == "cancelled"]
    c_lines = orders.quarantine[orders.quarantine[REASON] == CANCELLATION_REASON]
    assert len(cancelled) == len(c_lines) > 0
    assert set(orders.clean[S.STATUS]) <= set(S.ORDER_STATUSES)
    assert len(orders.repaired["cancellation_applied"]) == len(c_lines)


def test_cleaner_does_not_need_the_manifest(quick):
    """Test accounts come from customers.csv and the export end from the calendar."""
    world, results = quick
    quarantined = results["users"].quarantine
    tests = quarantined.loc[quarantined[REASON] == "test_account", "CustomerID"].astype(int).tolist()
    assert sorted(tests) == sorted(world.manifest["raw_export"]["test_accounts"])
    end = pd.Timestamp(world.manifest["raw_export"]["export_end"])
    assert results["orders"].clean[S.TIMESTAMP].max() < end
    with pytest.raises(ValueError, match="unknown raw table"):
        clean_raw_export(world, tables=("orders", "nope"))


def test_sql_path_equals_pandas_path(quick):
    world, results = quick
    sql = clean_raw_export_sql(world, threads=2)
    assert list(sql) == ["orders", "events"]
    for name, res in sql.items():
        pd.testing.assert_frame_equal(res.clean, results[name].clean, check_exact=True, obj=name)
        pd.testing.assert_frame_equal(res.quarantine, results[name].quarantine, check_exact=True, obj=name)
        assert res.repaired == results[name].repaired
        res.check_accounting()
    with pytest.raises(ValueError, match="orders' and 'events' only"):
        clean_raw_export_sql(world, tables=("users",))


def test_cleaned_tables_are_handed_to_02_equal_to_the_world(quick_world, tmp_path, monkeypatch, capsys):
    """01 -> 02: the cleaned tables are saved as artifacts, and they equal the world's own clean tables."""
    from labkit.artifacts import ArtifactStore

    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    (tmp_path / "data" / "world").mkdir(parents=True)
    (tmp_path / "data" / "world" / "quick-seed0").symlink_to(quick_world.path)
    tables = cleaning.cleaned_tables("quick", 0)  # 01 has not run here: cleaned now, and said so
    assert capsys.readouterr().out == "building 01's cleaned tables for quick/synthetic-seed0: not found\n"
    assert list(tables) == list(cleaning.TABLES)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(table, quick_world.table(name))
    store = ArtifactStore("quick", 0)
    assert set(store.manifest()) == {f"{kind}/{t}" for kind in ("cleaned", "quarantine") for t in cleaning.TABLES}
    assert len(pd.read_parquet(store.path("quarantine/orders"))) == store.manifest()["quarantine/orders"]["rows"] > 0
    orders = cleaning.cleaned_tables("quick", 0, tables=("orders",))  # fresh now: read, not cleaned again
    assert capsys.readouterr().out == "" and list(orders) == ["orders"]
    with pytest.raises(ValueError, match="dataset: 01_data_cleaning cleans"):
        cleaning.cleaned_tables("quick", 0, "bitext")
    with pytest.raises(ValueError, match="no cleaned table"):
        cleaning.cleaned_tables("quick", 0, tables=("prices",))
    with pytest.raises(FileNotFoundError, match="cleaned/users for quick/synthetic-seed1: not found; run "
                                                "notebooks/01_data_cleaning.ipynb"):
        cleaning.cleaned_tables("quick", 1, strict=True)
