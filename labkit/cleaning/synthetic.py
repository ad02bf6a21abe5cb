"""Clean the synthetic world's dirty raw export back into its six clean tables.

``clean_raw_export(world)`` reads ``raw/`` (never the clean tables, never the list of
injected faults) and returns one :class:`CleaningResult` per table: customers and
products first (they are what other tables are checked against), then orders, events,
reviews and messages. Test accounts come from customers.csv, the export end from the
calendar. Introduced in 01_data_cleaning (synthetic track).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.store import World
from .report import CleaningResult
from .rules import blank, clean_text, code_to_id, label_codes, parse_integer, parse_price, parse_timestamp
from .synthetic_common import (CUSTOMER_CODE, CUSTOMER_OFFSET, INVOICE_OFFSET, PLAIN_NUMBER, STOCK_CODE,
                               VOCABULARIES, Reference, check_customer, check_product, check_time, conform,
                               flag_duplicates, int_values, load_raw, repair_labels)
from .synthetic_facts import clean_events, clean_orders
from .text import text_faults
from .triage import Triage

TABLES = ("users", "products", "orders", "events", "reviews", "messages")
_TEXT_RULES = {"html_in_text": "HTML tags stripped and entities unescaped",
               "emoji_in_text": "emoji removed", "mojibake": "mojibake (UTF-8 read as cp1252) fixed with ftfy"}


def is_test_account(customers: pd.DataFrame) -> pd.Series:
    """True for the shop's own test customers: segment ``internal`` or an e-mail domain with 'internal'.

    Introduced in 01_data_cleaning; derived from the customer file, not from a list.
    """
    for col in ("Email", "Segment"):
        if col not in customers.columns:
            raise ValueError(f"customers table: column {col!r} missing; columns are {list(customers.columns)}")
    segment = customers["Segment"].str.strip().str.lower() == "internal"
    domain = customers["Email"].str.strip().str.lower().str.extract(r"@([^@]+)$", expand=False)
    return (segment | domain.str.contains("internal", regex=False)).fillna(False).astype(bool)


def _labels(tri: Triage, raw: pd.DataFrame, columns: dict[str, str]) -> dict[str, np.ndarray]:
    """Map raw label columns to their code lists; quarantine unknown labels."""
    out = {}
    for col, raw_col in columns.items():
        vocab = VOCABULARIES[col]
        codes = label_codes(raw[raw_col], vocab)
        tri.flag(codes < 0, "unknown_label", "a label that matches no entry of the code list")
        repair_labels(tri, raw[raw_col], vocab, raw_col)
        out[col] = np.array(vocab, dtype=object)[np.maximum(codes, 0)]
    return out


def _texts(tri: Triage, raw: pd.DataFrame, columns: list[str]) -> dict[str, pd.Series]:
    """Clean text columns and name their repairs (HTML, emoji, mojibake)."""
    out = {}
    for col in columns:
        out[col] = clean_text(raw[col])
        for rule, mask in text_faults(raw[col]).items():
            tri.repair(mask, rule, _TEXT_RULES[rule])
    return out


def clean_users(raw: pd.DataFrame, export_end: pd.Timestamp) -> tuple[CleaningResult, np.ndarray]:
    """Clean ``customers.csv``; also return the user ids of test accounts (01_data_cleaning)."""
    tri = Triage("users", raw)
    flag_duplicates(tri, raw, "CustomerID")
    uid = code_to_id(raw["CustomerID"], CUSTOMER_CODE, CUSTOMER_OFFSET)
    tri.flag(uid.isna().to_numpy(), "invalid_customer_id", "CustomerID is not a number")
    test = is_test_account(raw).to_numpy()
    tri.flag(test, "test_account", "the shop's own test account (internal e-mail domain or segment)")
    labels = _labels(tri, raw, {S.REGION: "Region", S.DEVICE: "Device", S.AGE_BAND: "AgeBand",
                                S.SEGMENT: "Segment"})
    signup = check_time(tri, raw["SignupDate"], export_end, "SignupDate")
    k = tri.kept
    clean = conform({S.USER_ID: int_values(uid, k), S.SIGNUP_DATE: signup[k], S.COUNTRY: raw["Country"][k],
                     **{c: v[k] for c, v in labels.items()}}, "users")
    return tri.result(clean), np.unique(int_values(uid, test & uid.notna().to_numpy()))


def clean_products(raw: pd.DataFrame) -> CleaningResult:
    """Clean ``products.csv`` into the product catalogue (01_data_cleaning)."""
    tri = Triage("products", raw)
    flag_duplicates(tri, raw, "StockCode")
    pid = code_to_id(raw["StockCode"], STOCK_CODE)
    tri.flag(pid.isna().to_numpy(), "invalid_stock_code", "StockCode is not P + 5 digits")
    labels = _labels(tri, raw, {S.CATEGORY: "Category"})
    price = parse_price(raw["BasePrice"], "BasePrice", errors="coerce")
    tri.flag(~(price > 0).to_numpy(), "invalid_price", "BasePrice missing, unparseable or <= 0")
    tri.repair(~raw["BasePrice"].str.match(PLAIN_NUMBER).to_numpy(dtype=bool), "price_as_string",
               "BasePrice with £, GBP, spaces or thousands commas parsed")
    launch = parse_timestamp(raw["LaunchDate"], "LaunchDate", errors="coerce")
    tri.flag(launch.isna().to_numpy(), "unparseable_launchdate", "LaunchDate missing or not a date")
    texts = _texts(tri, raw, ["Title", "Description"])
    k = tri.kept
    clean = conform({S.PRODUCT_ID: int_values(pid, k), S.CATEGORY: labels[S.CATEGORY][k],
                     S.SUBCATEGORY: raw["Subcategory"][k], S.BRAND: raw["Brand"][k], S.COLOUR: raw["Colour"][k],
                     S.BASE_PRICE: price[k], S.LAUNCH_DATE: launch[k], S.TITLE: texts["Title"][k],
                     S.DESCRIPTION: texts["Description"][k]}, "products")
    return tri.result(clean)


def clean_feedback(raw: pd.DataFrame, table: str, ref: Reference) -> CleaningResult:
    """Clean ``reviews.jsonl`` or ``messages.jsonl`` (01_data_cleaning)."""
    if table not in ("reviews", "messages"):
        raise ValueError(f"table must be 'reviews' or 'messages', got {table!r}")
    reviews = table == "reviews"
    id_col, time_col = ("ReviewID", "Date") if reviews else ("MessageID", "Timestamp")
    tri = Triage(table, raw)
    flag_duplicates(tri, raw, id_col)
    rid = parse_integer(raw[id_col], id_col, errors="coerce")
    tri.flag(rid.isna().to_numpy(), "invalid_id", f"{id_col} is not an integer")
    uid = check_customer(tri, raw["CustomerID"], ref)
    pid = check_product(tri, raw["StockCode"], ref, optional=not reviews, service_rule="invalid_stock_code")
    oid = code_to_id(raw["InvoiceNo"], r"^(\d+)$", INVOICE_OFFSET)
    bad_invoice = oid.isna().to_numpy() & (True if reviews else ~blank(raw["InvoiceNo"]))
    tri.flag(bad_invoice, "invalid_invoice", "InvoiceNo missing (reviews) or not a number")
    ts = check_time(tri, raw[time_col], ref.export_end, time_col)
    extra: dict[str, pd.Series | np.ndarray] = {}
    if reviews:
        extra[S.RATING] = parse_integer(raw["Rating"], "Rating", errors="coerce")
        tri.flag(~extra[S.RATING].between(1, 5).fillna(False).to_numpy(dtype=bool), "invalid_rating",
                 "Rating not 1..5")
    else:
        extra.update(_labels(tri, raw, {S.INTENT: "Intent"}))
    text = _texts(tri, raw, ["Text"])["Text"]
    k = tri.kept
    cols = {c: int_values(v, k) if c == S.RATING else v[k] for c, v in extra.items()}
    id_name = S.REVIEW_ID if reviews else S.MESSAGE_ID
    clean = conform({id_name: int_values(rid, k), S.USER_ID: int_values(uid, k), S.PRODUCT_ID: pid[k],
                     S.ORDER_ID: oid[k] if not reviews else int_values(oid, k), S.TIMESTAMP: ts[k],
                     S.TEXT: text[k], **cols}, table)
    return tri.result(clean)


def build_reference(users: CleaningResult, test_user_ids: np.ndarray, products: CleaningResult,
                    export_end: pd.Timestamp, prices: pd.DataFrame | None) -> Reference:
    """The checks' reference data from the cleaned customers and products."""
    return Reference(users.clean[S.USER_ID].to_numpy(dtype=np.int64), np.asarray(test_user_ids, dtype=np.int64),
                     products.clean[S.PRODUCT_ID].to_numpy(dtype=np.int64), pd.Timestamp(export_end), prices)


def export_end_of(world: World) -> pd.Timestamp:
    """Midnight after the last calendar day: nothing real happens at or after it."""
    return pd.Timestamp(world.table("calendar", columns=[S.DATE])[S.DATE].max()) + pd.Timedelta(days=1)


def clean_raw_export(world: World, export_end: str | pd.Timestamp | None = None,
                     prices: pd.DataFrame | None = None,
                     tables: tuple[str, ...] = TABLES) -> dict[str, CleaningResult]:
    """Clean the world's raw export: ``{table: CleaningResult}`` (01_data_cleaning, synthetic track).

    ``export_end`` defaults to midnight after the calendar's last day; ``prices`` (the
    price list used to fill missing unit prices) to ``world.table("prices")``. Customers
    and products are always cleaned (the other tables are checked against them); the
    result holds the tables in ``tables``. Each result's ``seconds`` is its reading and
    cleaning time.
    """
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"tables: unknown raw table(s) {unknown}; expected some of {TABLES}")
    end = export_end_of(world) if export_end is None else pd.Timestamp(export_end)
    if end.tzinfo is not None:
        raise ValueError(f"export_end must be a naive UTC timestamp, got {export_end!r}")
    started = time.perf_counter()
    users, test_ids = clean_users(load_raw(world, "users"), end)
    users.seconds = time.perf_counter() - started
    out = {"users": users, "products": _timed(lambda: clean_products(load_raw(world, "products")))}
    plist = prices if prices is not None or "orders" not in tables else world.table("prices")
    ref = build_reference(users, test_ids, out["products"], end, plist)
    if "orders" in tables:
        out["orders"] = _timed(lambda: clean_orders(load_raw(world, "orders"), ref))
    if "events" in tables:
        out["events"] = _timed(lambda: clean_events(load_raw(world, "events"), ref))
    for name in ("reviews", "messages"):
        if name in tables:
            out[name] = _timed(lambda n=name: clean_feedback(load_raw(world, n), n, ref))
    return {name: out[name] for name in TABLES if name in tables}


def _timed(clean: Callable[[], CleaningResult]) -> CleaningResult:
    """Run one table's reading and cleaning; its ``seconds`` then include the reading."""
    started = time.perf_counter()
    res = clean()
    res.seconds = time.perf_counter() - started
    return res


def summary(results: dict[str, CleaningResult]) -> pd.DataFrame:
    """One row per table: raw, clean, quarantined and repaired rows, seconds (01_data_cleaning)."""
    return pd.DataFrame([{"table": name, "rows_raw": r.n_raw, "rows_clean": len(r.clean),
                          "rows_quarantined": len(r.quarantine),
                          "rows_repaired": len({i for rows in r.repaired.values() for i in rows}),
                          "seconds": round(r.seconds, 2)} for name, r in results.items()])
