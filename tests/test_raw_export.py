"""The dirty raw export: the manifest's fault counts equal the faults actually present.

Each fault kind is re-detected here from the raw files with an independent rule, and
the detected rows must be exactly the rows listed in raw/faults.parquet.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from labkit.world.dirty import NON_PRODUCT_CODES

EMOJI_RE = re.compile("[\U0001F300-\U0001FAFF\u2700-\u27BF]")
PLAIN_PRICE = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture(scope="module")
def raw(quick_world):
    faults = quick_world.faults()
    def load(table):
        path = quick_world.raw_path(table)
        if path.suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return quick_world, faults, load


def _rows(faults, table, kind):
    f = faults[(faults["table"] == table) & (faults["kind"] == kind)]
    return set(f["row"].tolist())


def _check(found: pd.Series, faults, table, kind):
    """The rows a detector flags are exactly the listed rows of that kind.

    A repair-kind fault (a messy price, say) is also visible on junk rows that were copied
    from a faulty row; those rows are quarantined for their own reason, so they are left out.
    """
    detected = set(np.nonzero(found.to_numpy())[0].tolist())
    listed = _rows(faults, table, kind)
    f = faults[faults["table"] == table]
    if (f.loc[f["kind"] == kind, "action"] == "repair").all():
        detected -= set(f.loc[f["action"] == "quarantine", "row"])
    assert len(listed) > 0, f"{table}/{kind}: no fault injected"
    assert detected == listed, f"{table}/{kind}: {len(detected ^ listed)} rows disagree"


def test_manifest_counts_match_fault_rows(raw):
    world, faults, load = raw
    for table, info in world.manifest["raw_export"]["tables"].items():
        f = faults[faults["table"] == table]
        assert f.groupby("kind").size().to_dict() == info["faults"], table
        assert {k: g["row"].tolist() for k, g in f.groupby("kind")} == info["fault_rows"], table
        # the manifest's ids are the raw file's key values on those rows
        key = load(table)[info["key"]].astype(str).to_numpy()
        for kind, rows in info["fault_rows"].items():
            assert key[rows].tolist() == info["fault_ids"][kind], (table, kind)


def test_order_faults_are_present(raw):
    world, faults, load = raw
    o = load("orders")
    meta = world.manifest["raw_export"]
    products = set(load("products")["StockCode"])
    dup_exact = o.duplicated(keep="first")
    _check(dup_exact, faults, "orders", "exact_duplicate")
    _check(o["LineID"].duplicated(keep="first") & ~dup_exact, faults, "orders", "conflicting_duplicate")
    _check(o["InvoiceNo"].str.startswith("C"), faults, "orders", "cancellation")
    _check(o["CustomerID"] == "", faults, "orders", "guest_checkout")
    _check(o["CustomerID"].isin([str(c) for c in meta["test_accounts"]]), faults, "orders", "test_account")
    _check(o["StockCode"].isin([c for c, _ in NON_PRODUCT_CODES]), faults, "orders", "non_product_line")
    orphan = ~o["StockCode"].isin(products) & ~o["StockCode"].isin([c for c, _ in NON_PRODUCT_CODES])
    _check(orphan, faults, "orders", "orphan_product")
    _check(o["Quantity"].astype(int) > 1000, faults, "orders", "extreme_quantity")
    _check(o["UnitPrice"] == "", faults, "orders", "missing_price")
    messy = (o["UnitPrice"] != "") & ~o["UnitPrice"].str.match(PLAIN_PRICE)
    _check(messy, faults, "orders", "price_as_string")
    plain = o["UnitPrice"].where(o["UnitPrice"].str.match(PLAIN_PRICE), "1")
    _check(~o["InvoiceNo"].str.startswith("C") & (plain.astype(float) <= 0), faults, "orders",
           "zero_or_negative_price")
    _check(o["InvoiceDate"].str.match(r"^\d{2}/\d{2}/\d{4} "), faults, "orders", "mixed_date_format")
    _check(o["InvoiceDate"].str.match(r".*T.*[+-]\d{2}:\d{2}$"), faults, "orders", "timezone_offset")
    when = pd.to_datetime(o["InvoiceDate"], format="mixed", dayfirst=True, utc=True)
    _check(when >= pd.Timestamp(meta["export_end"], tz="UTC"), faults, "orders", "future_timestamp")


def test_event_faults_are_present(raw):
    world, faults, load = raw
    e = load("events")
    _check(e.duplicated(keep="first"), faults, "events", "exact_duplicate")
    _check(e.groupby("SessionID")["EventID"].transform("size") >= 50, faults, "events", "bot_session")
    canonical = {"view", "click", "add_to_cart", "remove_from_cart", "purchase"}
    _check(~e["EventType"].isin(canonical), faults, "events", "category_label_variant")
    end = pd.Timestamp(world.manifest["raw_export"]["export_end"])
    _check(pd.to_datetime(e["Timestamp"]) >= end, faults, "events", "future_timestamp")
    _check(~e["StockCode"].isin(set(load("products")["StockCode"])), faults, "events", "orphan_product")


def test_text_and_master_data_faults_are_present(raw):
    world, faults, load = raw
    for table in ("reviews", "messages"):
        t = load(table)
        _check(t.duplicated(keep="first"), faults, table, "exact_duplicate")
        _check(t["Text"].str.contains(EMOJI_RE), faults, table, "emoji_in_text")
        _check(t["Text"].str.contains("<", regex=False), faults, table, "html_in_text")
        _check(t["Text"].str.contains("â€", regex=False), faults, table, "mojibake")
    users = load("users")
    _check(users["Email"].str.endswith("@shop-internal.test"), faults, "users", "test_account")
    _check(users["CustomerID"].duplicated(keep="first"), faults, "users", "conflicting_duplicate")
    _check(users["SignupDate"].str.contains("/", regex=False), faults, "users", "mixed_date_format")
    regions = {"north", "south", "east", "west", "international"}
    _check(~users["Region"].isin(regions), faults, "users", "category_label_variant")
    products = load("products")
    cats = {"tops", "bottoms", "shoes", "bags", "home", "electronics"}
    _check(~products["Category"].isin(cats), faults, "products", "category_label_variant")
    _check(products.duplicated(keep="first"), faults, "products", "exact_duplicate")


def test_clean_rows_survive_in_the_raw_export(raw):
    """Rows without a fault are the clean table's rows, unchanged (so cleaning can be checked)."""
    world, faults, load = raw
    o = load("orders")
    f = faults[faults["table"] == "orders"]
    good = o.drop(index=sorted(set(f["row"])))
    clean = world.table("orders")
    # every clean line appears exactly once among the rows that are not quarantined
    kept = o.drop(index=sorted(set(f.loc[f["action"] == "quarantine", "row"])))
    assert len(kept) == len(clean) and set(kept["LineID"].astype(int)) == set(clean["line_id"])
    merged = good.astype({"LineID": int, "Quantity": int}).merge(clean, left_on="LineID", right_on="line_id")
    assert len(merged) == len(good)
    assert (merged["Quantity"] == merged["quantity"]).all()
    assert np.allclose(merged["UnitPrice"].astype(float), merged["unit_price"])
    assert (pd.to_datetime(merged["InvoiceDate"]) == merged["timestamp"]).all()
    json.dumps(world.manifest)  # the manifest is plain JSON
