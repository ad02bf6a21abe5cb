"""The orders and events cleaning in SQL (DuckDB), for exports that do not fit in pandas.

DuckDB reads the raw CSV itself (``read_csv(..., all_varchar=true)``, so nothing is
coerced), parses with regular expressions and ``strptime``, finds duplicates with window
functions, applies cancellations and the price list with joins, and streams only the
clean and quarantined rows back. Same rules, same order, same reasons as
:mod:`labkit.cleaning.synthetic_facts`; only the tiny label vocabulary mapping is done in
Python (difflib) and joined in. Introduced in 01_data_cleaning.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.conventions import DEVICES
from ..world.store import World
from .report import CleaningResult
from .rules import label_mapping
from .sql_text import EVENTS_SQL, MACROS, ORDERS_SQL, REPAIRS, render
from .synthetic import TABLES, build_reference, clean_products, clean_users, export_end_of, load_raw
from .synthetic_common import (
    CUSTOMER_CODE,
    CUSTOMER_OFFSET,
    INVOICE_CODE,
    INVOICE_OFFSET,
    RAW_STATUSES,
    STOCK_CODE,
    Reference,
    conform,
)
from .synthetic_facts import (
    BOT_MAX_EVENTS,
    BOT_MIN_EVENTS,
    BOT_MIN_MEDIAN_GAP_S,
    CANCELLATION_REASON,
    QUANTITY_GAP,
    QUANTITY_QUANTILE,
)

_DESCRIPTION = "same rule as the pandas cleaner (labkit.cleaning.synthetic_facts)"


def _connect(threads: int | None):
    import duckdb

    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(MACROS)
    return con


def _load(con, path: Path, name: str) -> list[str]:
    """Read a raw CSV into table ``<name>_file`` (all VARCHAR, file order kept); return its columns."""
    if not path.is_file():
        raise ValueError(f"raw file {str(path)!r} does not exist")
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise ValueError(f"raw file {path.name!r} has no header row")
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_file AS SELECT * FROM read_csv(?, all_varchar = true, "
                "header = true, delim = ',', quote = '\"', escape = '\"')", [str(path)])
    return header


def _labels(con, table: str, column: str, vocabulary: tuple[str, ...], name: str) -> None:
    """Register ``name``(raw, label, code): the difflib mapping of the column's distinct values."""
    distinct = [r[0] for r in con.execute(f'SELECT DISTINCT coalesce("{column}", \'\') FROM {table}').fetchall()]
    mapping = label_mapping(distinct, vocabulary)
    pos = {v: i for i, v in enumerate(vocabulary)}
    con.register(name, pd.DataFrame({"raw": pd.Series(distinct, dtype=object),
                                     "label": [mapping[v] for v in distinct],
                                     "code": [pos[mapping[v]] if mapping[v] is not None else None for v in distinct]}))


def _codes(header: list[str], table: str, key: str) -> dict[str, object]:
    """Placeholders shared by the orders and events SQL."""
    return {"t": table, "key": key, "customer_code": CUSTOMER_CODE, "customer_offset": CUSTOMER_OFFSET,
            "stock_code": STOCK_CODE, "invoice_code": INVOICE_CODE, "invoice_offset": INVOICE_OFFSET,
            "raw_cols": ", ".join(f'coalesce("{c}", \'\') AS "{c}"' for c in header),
            "all_cols": ", ".join(f'r."{c}"' for c in header)}


def _reference(con, ref: Reference) -> None:
    con.register("ref_users", pd.DataFrame({"id": ref.user_ids.astype(np.int64)}))
    con.register("ref_tests", pd.DataFrame({"id": ref.test_user_ids.astype(np.int64)}))
    con.register("ref_products", pd.DataFrame({"id": ref.product_ids.astype(np.int64)}))


def _result(con, table: str, header: list[str], clean: pd.DataFrame, started: float) -> CleaningResult:
    cols = ", ".join(f'"{c}"' for c in header)
    q = con.execute(f"SELECT raw_row, reason, {cols} FROM {table}_flags JOIN {table} USING (raw_row) "
                    "WHERE reason IS NOT NULL ORDER BY raw_row").df()
    q = q.astype({c: "str" for c in ["reason", *header]}).astype({"raw_row": "int64"})
    raw_rows = con.execute(f"SELECT raw_row FROM {table}_flags WHERE reason IS NULL ORDER BY raw_row").df()
    repaired: dict[str, list[int]] = {}
    for rule, rows in con.execute(f"SELECT rule, list(raw_row ORDER BY raw_row) FROM {table}_repairs "
                                  "GROUP BY rule ORDER BY rule").fetchall():
        repaired[rule] = [int(r) for r in rows]
    n_raw = con.execute(f"SELECT count(*) FROM {table}_flags").fetchone()[0]
    reasons = [r[0] for r in con.execute(f"SELECT DISTINCT reason FROM {table}_flags WHERE reason IS NOT NULL")
               .fetchall()]
    res = CleaningResult(table, int(n_raw), clean.reset_index(drop=True), q, repaired,
                         {rule: _DESCRIPTION for rule in [*reasons, *repaired]},
                         raw_rows=raw_rows["raw_row"].to_numpy(dtype=np.int64), seconds=time.perf_counter() - started)
    res.check_accounting()
    return res


def clean_orders_sql(path: str | Path, ref: Reference, threads: int | None = None) -> CleaningResult:
    """Clean a raw ``orders.csv`` in DuckDB; same result as :func:`synthetic_facts.clean_orders`."""
    started = time.perf_counter()
    con = _connect(threads)
    header = _load(con, Path(path), "o")
    _reference(con, ref)
    _labels(con, "o_file", "Status", RAW_STATUSES, "status_map")
    prices = ref.prices if ref.prices is not None else pd.DataFrame({S.DATE: pd.Series([], "datetime64[us]"),
                                                                      S.PRODUCT_ID: [], S.PRICE: []})
    con.register("price_list", prices[[S.DATE, S.PRODUCT_ID, S.PRICE]].astype(
        {S.DATE: "datetime64[us]", S.PRODUCT_ID: "int64", S.PRICE: "float64"})
        .drop_duplicates([S.DATE, S.PRODUCT_ID]))
    con.execute(render(ORDERS_SQL, end=f"TIMESTAMP '{ref.export_end}'", quantile=QUANTITY_QUANTILE,
                       gap=QUANTITY_GAP, cancelled=CANCELLATION_REASON.replace("'", "''"),
                       **_codes(header, "o", "line_id")))
    con.execute(render(REPAIRS, t="o", ts="InvoiceDate", extra=r"""
        UNION ALL SELECT raw_row, 'missing_price' FROM kept WHERE need
        UNION ALL SELECT raw_row, 'price_as_string' FROM kept WHERE NOT lk_blank("UnitPrice")
            AND NOT regexp_matches("UnitPrice", '^-?\d+(\.\d+)?$')
        UNION ALL SELECT raw_row, 'category_label_variant' FROM kept
            WHERE "Status" NOT IN ('dispatched', 'completed', 'returned', 'cancelled')
        UNION ALL SELECT raw_row, 'cancellation_applied' FROM kept WHERE original"""))
    df = con.execute("SELECT * FROM o_flags WHERE reason IS NULL ORDER BY raw_row").df()
    clean = conform({
        S.LINE_ID: df["line_id"], S.ORDER_ID: df["order_id"], S.USER_ID: df["uid"], S.PRODUCT_ID: df["pid"],
        S.QUANTITY: df["qty"], S.UNIT_PRICE: df["price_filled"], S.TIMESTAMP: df["ts"].astype("datetime64[us]"),
        S.COUNTRY: df["country_clean"], S.STATUS: df["status_clean"],
        S.PROMISED_DATE: df["promised"].astype("datetime64[us]"),
        S.DELIVERED_DATE: df["delivered"].astype("datetime64[us]"),
    }, "orders")
    try:
        return _result(con, "o", header, clean, started)
    finally:
        con.close()


def clean_events_sql(path: str | Path, ref: Reference, threads: int | None = None) -> CleaningResult:
    """Clean a raw ``events.csv`` in DuckDB; same result as :func:`synthetic_facts.clean_events`."""
    started = time.perf_counter()
    con = _connect(threads)
    header = _load(con, Path(path), "e")
    _reference(con, ref)
    _labels(con, "e_file", "EventType", S.EVENT_TYPES, "etype_map")
    _labels(con, "e_file", "Device", DEVICES, "device_map")
    con.execute(render(EVENTS_SQL, end=f"TIMESTAMP '{ref.export_end}'", max_events=BOT_MAX_EVENTS,
                       min_events=BOT_MIN_EVENTS, min_gap=BOT_MIN_MEDIAN_GAP_S, **_codes(header, "e", "event_id")))
    vocab = "', '".join(S.EVENT_TYPES)
    con.execute(render(REPAIRS, t="e", ts="Timestamp", extra=f"""
        UNION ALL SELECT raw_row, 'category_label_variant' FROM kept
            WHERE ("EventType" NOT IN ('{vocab}') OR "Device" NOT IN ('{"', '".join(DEVICES)}'))"""))
    df = con.execute("SELECT event_id, session_id, uid, pid, ts, etype, dwell, device_code FROM e_flags "
                     "WHERE reason IS NULL ORDER BY raw_row").df()
    clean = conform({
        S.EVENT_ID: df["event_id"], S.SESSION_ID: df["session_id"], S.USER_ID: df["uid"], S.PRODUCT_ID: df["pid"],
        S.TIMESTAMP: df["ts"].astype("datetime64[ms]"),
        S.EVENT_TYPE: pd.Categorical.from_codes(df["etype"].to_numpy(dtype=np.int64), categories=list(S.EVENT_TYPES)),
        S.DWELL_SECONDS: df["dwell"],
        S.DEVICE: pd.Categorical.from_codes(df["device_code"].to_numpy(dtype=np.int64), categories=list(DEVICES)),
    }, "events")
    try:
        return _result(con, "e", header, clean, started)
    finally:
        con.close()


def clean_raw_export_sql(world: World, export_end: str | pd.Timestamp | None = None,
                         prices: pd.DataFrame | None = None,
                         tables: tuple[str, ...] = ("orders", "events"),
                         threads: int | None = None) -> dict[str, CleaningResult]:
    """Orders and events of the world's raw export cleaned in DuckDB (01_data_cleaning).

    Customers and products (small) are cleaned with pandas to build the reference data.
    """
    bad = sorted(set(tables) - {"orders", "events"})
    if bad:
        raise ValueError(f"tables: the SQL path cleans 'orders' and 'events' only, got {bad}")
    end = export_end_of(world) if export_end is None else pd.Timestamp(export_end)
    users, tests = clean_users(load_raw(world, "users"), end)
    products = clean_products(load_raw(world, "products"))
    plist = prices if prices is not None or "orders" not in tables else world.table("prices")
    ref = build_reference(users, tests, products, end, plist)
    out: dict[str, CleaningResult] = {}
    if "orders" in tables:
        out["orders"] = clean_orders_sql(world.raw_path("orders"), ref, threads)
    if "events" in tables:
        out["events"] = clean_events_sql(world.raw_path("events"), ref, threads)
    return {t: out[t] for t in TABLES if t in out}
