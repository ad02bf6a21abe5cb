"""Clean the fact tables of the synthetic raw export: order lines and clickstream events.

Vectorised end to end (millions of events in seconds). Each rule quarantines with a
named reason; the first rule that flags a row wins, in the order written here.
Introduced in 01_data_cleaning (synthetic track); :mod:`labkit.cleaning.sql` does the same in DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.conventions import DEVICES
from .report import CleaningResult
from .rules import (
    blank,
    bot_sessions,
    code_to_id,
    extreme_threshold,
    label_codes,
    parse_integer,
    parse_price,
    parse_timestamp,
)
from .synthetic_common import (
    INVOICE_CODE,
    INVOICE_OFFSET,
    PLAIN_NUMBER,
    RAW_STATUSES,
    Reference,
    check_customer,
    check_product,
    check_time,
    conform,
    flag_duplicates,
    int_values,
    repair_labels,
)
from .triage import Triage

CANCELLATION_REASON = "cancellation applied to original"
QUANTITY_QUANTILE, QUANTITY_GAP = 0.9, 10.0
BOT_MAX_EVENTS, BOT_MIN_EVENTS, BOT_MIN_MEDIAN_GAP_S = 50, 20, 2.0


def _fill_prices(price: pd.Series, need: np.ndarray, ts: pd.Series, pid: pd.Series, kept: np.ndarray,
                 prices: pd.DataFrame | None) -> pd.Series:
    """Missing unit prices: the price list's price of that product that day, else another line's."""
    price = price.copy()
    if not need.any():
        return price
    day, prod = ts.dt.normalize().astype("datetime64[us]"), pid.fillna(-1).astype("int64")
    want = pd.DataFrame({S.DATE: day[need].to_numpy(), S.PRODUCT_ID: prod[need].to_numpy()})
    if prices is not None:
        plist = prices[[S.DATE, S.PRODUCT_ID, S.PRICE]].astype({S.DATE: "datetime64[us]", S.PRODUCT_ID: "int64"})
        got = want.merge(plist.drop_duplicates([S.DATE, S.PRODUCT_ID]), how="left", on=[S.DATE, S.PRODUCT_ID])
        price[need] = got[S.PRICE].round(2).to_numpy()
    still = need & price.isna().to_numpy()
    if still.any():  # same product, same day, another kept line with a price
        have = kept & ~need & (price > 0).to_numpy()
        same = pd.DataFrame({S.DATE: day[have].to_numpy(), S.PRODUCT_ID: prod[have].to_numpy(),
                             S.PRICE: price[have].to_numpy()}).groupby([S.DATE, S.PRODUCT_ID])[S.PRICE].median()
        keys = pd.MultiIndex.from_arrays([day[still].to_numpy(), prod[still].to_numpy()])
        price[still] = same.reindex(keys).to_numpy()
    return price


def _match_cancellations(is_c: np.ndarray, kept: np.ndarray, order_id: pd.Series, pid: pd.Series,
                         qty: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Pair each C line with one kept original: same invoice, stock code and quantity = −original."""
    frames = []
    for rows, sign in ((np.nonzero(is_c & kept)[0], -1), (np.nonzero(~is_c & kept)[0], 1)):
        f = pd.DataFrame({"row": rows, "o": order_id.iloc[rows].to_numpy(), "p": pid.iloc[rows].to_numpy(),
                          "q": qty.iloc[rows].to_numpy() * sign}).dropna()
        f["k"] = f.groupby(["o", "p", "q"]).cumcount()
        frames.append(f)
    m = frames[0].merge(frames[1], on=["o", "p", "q", "k"], suffixes=("_c", "_o"))
    matched_c, originals = np.zeros(len(is_c), dtype=bool), np.zeros(len(is_c), dtype=bool)
    matched_c[m["row_c"].to_numpy(dtype=np.int64)] = True
    originals[m["row_o"].to_numpy(dtype=np.int64)] = True
    return matched_c, originals


def clean_orders(raw: pd.DataFrame, ref: Reference) -> CleaningResult:
    """Clean ``orders.csv`` into the ``orders`` table (01_data_cleaning).

    Ids: LineID → line_id, InvoiceNo − 500,000 → order_id, CustomerID − 10,000 → user_id,
    ``P00042`` → product_id 42. Quarantined, in this order: exact and conflicting
    duplicates of a LineID (the first row is kept), guest checkouts, test accounts,
    unknown customers, service lines (POST, M, ...), codes not in the catalogue, prices
    <= 0, absurd quantities (:func:`extreme_threshold`), times after the export end,
    unparseable values. A cancellation line (``C`` invoice, negative quantity) is paired
    with one kept original line (same invoice, stock code, quantity = −original): the
    original gets status ``cancelled``, the C line is quarantined. Status ``dispatched``
    becomes ``completed``; an empty UnitPrice is filled from the price list (that product,
    that day), else from another line of the same product and day.
    """
    tri = Triage("orders", raw)
    line_id = parse_integer(raw["LineID"], "LineID", errors="coerce")
    flag_duplicates(tri, raw, "LineID", line_id)
    is_c = raw["InvoiceNo"].str.strip().str.upper().str.startswith("C").to_numpy(dtype=bool)
    line = ~is_c  # C lines are judged as cancellations at the end
    tri.flag(line_id.isna().to_numpy(), "invalid_line_id", "LineID is not an integer")
    uid = check_customer(tri, raw["CustomerID"], ref, line, blank_rule="guest_checkout")
    pid = check_product(tri, raw["StockCode"], ref, line)
    order_id = code_to_id(raw["InvoiceNo"], INVOICE_CODE, INVOICE_OFFSET)
    tri.flag(order_id.isna().to_numpy(), "invalid_invoice", "InvoiceNo is not [C]digits")
    price = parse_price(raw["UnitPrice"], "UnitPrice", errors="coerce")
    no_price = blank(raw["UnitPrice"])
    tri.flag(line & price.isna().to_numpy() & ~no_price, "unparseable_price", "UnitPrice is not a price")
    tri.flag(line & (price <= 0).to_numpy(), "zero_or_negative_price",
             "UnitPrice <= 0 (free samples, bad-debt adjustments): not a sale")
    qty = parse_integer(raw["Quantity"], "Quantity", errors="coerce")
    tri.flag(qty.isna().to_numpy(), "unparseable_quantity", "Quantity is not an integer")
    tri.flag(line & (qty <= 0).fillna(False).to_numpy(dtype=bool), "non_positive_quantity",
             "Quantity <= 0 on a line that is not a cancellation")
    limit = extreme_threshold(qty[tri.kept & line], QUANTITY_QUANTILE, QUANTITY_GAP)
    tri.flag(line & (qty > limit).fillna(False).to_numpy(dtype=bool), "extreme_quantity",
             f"Quantity above {limit:g}: beyond the first {QUANTITY_GAP:g}-fold jump between distinct "
             f"quantities (from the {QUANTITY_QUANTILE:.0%} quantile up), a typing error, not an order")
    ts = check_time(tri, raw["InvoiceDate"], ref.export_end, "InvoiceDate", line)
    promised = parse_timestamp(raw["PromisedDate"], "PromisedDate", errors="coerce")
    delivered = parse_timestamp(raw["DeliveredDate"], "DeliveredDate", errors="coerce")
    tri.flag(line & promised.isna().to_numpy(), "unparseable_promiseddate", "PromisedDate missing or not a date")
    tri.flag(line & delivered.isna().to_numpy() & ~blank(raw["DeliveredDate"]), "unparseable_delivereddate",
             "DeliveredDate is not a date")
    status_code = label_codes(raw["Status"], RAW_STATUSES)
    tri.flag(status_code < 0, "unknown_status", f"Status not one of {RAW_STATUSES}")
    # repairs
    need = line & tri.kept & no_price
    price = _fill_prices(price, need, ts, pid, tri.kept, ref.prices)
    tri.flag(need & price.isna().to_numpy(), "missing_price", "UnitPrice empty and no price for that day")
    tri.repair(need, "missing_price", "empty UnitPrice filled from the price list (that product, that day)")
    messy = ~no_price & ~raw["UnitPrice"].str.match(PLAIN_NUMBER).to_numpy(dtype=bool)
    tri.repair(messy, "price_as_string", "UnitPrice with £, GBP, spaces or thousands commas parsed")
    repair_labels(tri, raw["Status"], RAW_STATUSES, "Status")
    matched_c, originals = _match_cancellations(is_c, tri.kept, order_id, pid, qty)
    tri.flag(matched_c, CANCELLATION_REASON,
             "C-invoice line with negative quantity: its original line is marked 'cancelled'")
    tri.flag(is_c, "unmatched_cancellation", "C-invoice line without a kept original line to cancel")
    tri.repair(originals, "cancellation_applied", "original line of a cancelled invoice: status 'cancelled'")
    status = np.array(RAW_STATUSES, dtype=object)[np.maximum(status_code, 0)]
    status = np.where(status == "dispatched", "completed", status)
    status[originals] = "cancelled"
    tri.describe("status", "Status 'dispatched' is the clean status 'completed'; 'returned' stays")
    k = tri.kept
    clean = conform({
        S.LINE_ID: int_values(line_id, k), S.ORDER_ID: int_values(order_id, k), S.USER_ID: int_values(uid, k),
        S.PRODUCT_ID: int_values(pid, k), S.QUANTITY: int_values(qty, k), S.UNIT_PRICE: price[k].to_numpy(),
        S.TIMESTAMP: ts[k], S.COUNTRY: raw["Country"][k], S.STATUS: status[k],
        S.PROMISED_DATE: promised[k], S.DELIVERED_DATE: delivered[k],
    }, "orders")
    return tri.result(clean)


def clean_events(raw: pd.DataFrame, ref: Reference) -> CleaningResult:
    """Clean ``events.csv`` into the ``events`` table (01_data_cleaning).

    Bot rule: a session with ``BOT_MAX_EVENTS`` (50) events or more, or with at least 20
    events whose median gap is under 2 s (:func:`labkit.cleaning.rules.bot_sessions`).
    """
    tri = Triage("events", raw)
    event_id = parse_integer(raw["EventID"], "EventID", errors="coerce")
    flag_duplicates(tri, raw, "EventID", event_id)
    session = parse_integer(raw["SessionID"], "SessionID", errors="coerce")
    tri.flag(event_id.isna().to_numpy() | session.isna().to_numpy(), "invalid_id",
             "EventID or SessionID not an integer")
    ts = parse_timestamp(raw["Timestamp"], "Timestamp", errors="coerce", unit="ms")
    k = tri.kept & ts.notna().to_numpy()
    bots = np.zeros(len(raw), dtype=bool)
    bots[k] = bot_sessions(session[k], ts[k], BOT_MAX_EVENTS, BOT_MIN_EVENTS, BOT_MIN_MEDIAN_GAP_S).to_numpy()
    tri.flag(bots, "bot_session", f"session with >= {BOT_MAX_EVENTS} events, or >= {BOT_MIN_EVENTS} events "
             f"with a median gap under {BOT_MIN_MEDIAN_GAP_S:g} s: not a human")
    uid = check_customer(tri, raw["CustomerID"], ref)
    pid = check_product(tri, raw["StockCode"], ref, service_rule="non_product_code")
    etype = label_codes(raw["EventType"], S.EVENT_TYPES)
    device = label_codes(raw["Device"], DEVICES)
    tri.flag((etype < 0) | (device < 0), "unknown_label", "EventType or Device not in the code list")
    dwell = parse_integer(raw["DwellSeconds"], "DwellSeconds", errors="coerce")
    tri.flag((dwell < 0).fillna(True).to_numpy(dtype=bool), "invalid_dwell", "DwellSeconds missing or negative")
    ts = check_time(tri, raw["Timestamp"], ref.export_end, "Timestamp", unit="ms", parsed=ts)
    repair_labels(tri, raw["EventType"], S.EVENT_TYPES, "EventType")
    repair_labels(tri, raw["Device"], DEVICES, "Device")
    k = tri.kept
    clean = conform({
        S.EVENT_ID: int_values(event_id, k), S.SESSION_ID: int_values(session, k), S.USER_ID: int_values(uid, k),
        S.PRODUCT_ID: int_values(pid, k), S.TIMESTAMP: ts.to_numpy()[k],
        S.EVENT_TYPE: pd.Categorical.from_codes(etype[k], categories=list(S.EVENT_TYPES)),
        S.DWELL_SECONDS: int_values(dwell, k), S.DEVICE: pd.Categorical.from_codes(device[k], categories=list(DEVICES)),
    }, "events")
    return tri.result(clean)
