"""labkit.datasets.open: the one way in for real data, and the registry of companion notebooks."""

from __future__ import annotations

import pandas as pd
import pytest

from labkit import cleaning, datasets
from labkit import schema as S
from labkit.course import notebook_paths
from labkit.models.text.real import TEXT_SOURCES, real_text_tasks


def test_open_validates_the_name_against_the_registry():
    with pytest.raises(ValueError, match=r"'nope' cannot be opened; expected one of online_retail, online_shoppers"):
        datasets.open("nope")
    with pytest.raises(ValueError, match=r"generated, with its truth, by labkit.ensure_world"):
        datasets.open("synthetic")
    assert set(datasets.readable_names()) <= set(datasets.DATASETS)


def test_a_missing_file_names_every_path_looked_at(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file for dataset 'online_shoppers' under .*online_shoppers_intention"):
        datasets.open("online_shoppers", tmp_path)


def test_a_renamed_file_is_found_when_it_is_the_only_one(tmp_path):
    from labkit.datasets.registry import find_dataset_file

    folder = tmp_path / "online_shoppers_intention"
    folder.mkdir()
    (folder / "README.txt").write_text("not data")
    (folder / "shoppers_2024_release.csv").write_text("a\n")
    assert find_dataset_file("online_shoppers", tmp_path) == folder / "shoppers_2024_release.csv"
    (folder / "shoppers_copy.parquet").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"found shoppers_2024_release.csv, shoppers_copy.parquet: pass the file"):
        find_dataset_file("online_shoppers", tmp_path)


def test_every_companion_is_a_committed_notebook_and_every_real_dataset_names_its_notebooks():
    committed = {p.stem for p in notebook_paths()}
    assert set(datasets.companion_notebooks()) <= committed
    for name in datasets.readable_names():
        assert datasets.get_dataset(name).notebooks, f"{name}: no notebook teaches it"


def test_text_sources_are_checked():
    assert TEXT_SOURCES == ("womens_reviews", "bitext", "file")
    with pytest.raises(ValueError, match=r"DATASET: expected one of womens_reviews, bitext, file"):
        real_text_tasks("online_retail")
    with pytest.raises(ValueError, match=r"text_file: the source 'file' needs TEXT_FILE"):
        real_text_tasks("file")


def test_strict_cleaned_tables_name_the_companion(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    (tmp_path / "online_retail").mkdir()
    (tmp_path / "online_retail" / "online_retail.csv").write_text("x\n")
    with pytest.raises(FileNotFoundError, match=r"run notebooks/01b_online_retail.ipynb with PROFILE='quick', SEED=0"):
        cleaning.cleaned_tables("quick", 0, "online_retail", tmp_path, strict=True)


@pytest.mark.real_data
def test_open_reads_each_real_dataset_into_the_course_schema(real_data):
    for name, table, rows in (("online_retail", "orders", 541_909), ("online_shoppers", "sessions", 12_330),
                              ("womens_reviews", "reviews", 23_486), ("bitext", "messages", 8_175)):
        opened = datasets.open(name, real_data, verbose=False)
        assert not opened.has_truth and opened.notebooks
        assert len(opened.table(table)) == rows
        with pytest.raises(ValueError, match=f"dataset '{name}' has no table 'nope'"):
            opened.table("nope")


def test_reader_options_reach_the_loader_and_key_the_cleaned_tables(tmp_path, monkeypatch):
    """#16: 01b's DAYFIRST and SHEET (``-p DAYFIRST True``) reach the loader and the cleaned tables' fingerprint."""
    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    folder = tmp_path / "online_retail"
    folder.mkdir()
    stamps = ["01/02/2010 10:00", "02/01/2010 11:00"]  # 1 Feb and 2 Jan, or 2 Jan and 1 Feb: the file cannot tell
    pd.DataFrame({"InvoiceNo": [str(536365 + i) for i in range(2)], "StockCode": "85123A",
                  "Description": "WHITE HANGING HEART", "Quantity": 6, "InvoiceDate": stamps,
                  "UnitPrice": 2.55, "CustomerID": "17850", "Country": "United Kingdom"}
                 ).to_csv(folder / "online_retail.csv", index=False)
    with pytest.raises(ValueError, match=r"every day is <= 12.*dayfirst=True"):
        datasets.open("online_retail", tmp_path, verbose=False)
    opened = datasets.open("online_retail", tmp_path, verbose=False, dayfirst=True, sheet=None)
    assert opened.options == {"dayfirst": True}
    assert opened.table("orders")["InvoiceDate"].dt.month.tolist() == [2, 1]
    with pytest.raises(ValueError, match=r"reader load_online_retail takes no option\(s\) \['day_first'\]; "
                                         r"expected some of \['dayfirst', 'sheet'\]"):
        datasets.open("online_retail", tmp_path, day_first=True)
    lines = cleaning.cleaned_tables("quick", 0, "online_retail", tmp_path, verbose=False,
                                    read_options={"dayfirst": True})["orders"]
    assert lines[S.TIMESTAMP].dt.month.tolist() == [2, 1]
    # read the other way, the same file is another table: the fingerprint tells them apart
    lines = cleaning.cleaned_tables("quick", 0, "online_retail", tmp_path, verbose=False,
                                    read_options={"dayfirst": False})["orders"]
    assert lines[S.TIMESTAMP].dt.month.tolist() == [1, 2]
    with pytest.raises(FileNotFoundError, match="run notebooks/01b_online_retail.ipynb"):
        cleaning.cleaned_tables("quick", 0, "online_retail", tmp_path, strict=True, read_options={"dayfirst": True})


def test_course_passes_the_reader_options_to_both_online_retail_notebooks():
    """``python -m labkit course --only 01b,03b -p DAYFIRST True -p SHEET 2010-2011`` reaches 01b and 03b."""
    from labkit.course import notebook_overrides, notebook_parameters

    paths = notebook_paths(["01b", "03b"])
    for path in paths:
        assert {"DAYFIRST", "SHEET"} <= set(notebook_parameters(path)), path.name
    assert notebook_overrides([("DAYFIRST", "True"), ("SHEET", "2010-2011")], paths) == {
        "DAYFIRST": True, "SHEET": "2010-2011"}
