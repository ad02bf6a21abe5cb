"""Clean UCI Online Retail into the course's order-line table, accounting for every raw row.

Input: the raw table of :func:`labkit.datasets.load_online_retail`. Output: a
:class:`CleaningResult` whose clean table has the columns of the synthetic world's
``orders`` table (``order_id, line_id, user_id, product_id, quantity, unit_price,
timestamp, country, status``) plus ``description``, so notebook 02's features run on both.
Each rule below is a small function returning a mask; a raw row is quarantined by the
first rule that flags it, in the order of :data:`RULES`. Introduced in 01_data_cleaning.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import schema as S
from .report import RAW_ROW, REASON, CleaningResult

RAW_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
               "CustomerID", "Country")
# Service lines, not goods: postage, carriage, manual corrections, discounts, samples, fees,
# charity commission, bad debt, tests. DCGSSBOY/DCGSSGIRL have no digits but are real
# products (party bags), so the rule is a list, not "codes without digits".
SERVICE_CODES = re.compile(
    r"^(POST|DOT|C2|C3|M|D|S|B|CRUK|PADS|AMAZONFEE|BANK CHARGES|ADJUST\d*|TEST\d*|GIFT_\d+_\d+)$",
    re.IGNORECASE)
# stock-keeping notes typed into Description on zero-price / negative lines
PLACEHOLDER_WORDS = frozenset({"unknown", "?", "??", "???", "check", "damaged", "damages", "lost",
                               "found", "wet", "adjustment", "missing", "thrown away", "faulty"})
DEFAULT_MAX_QUANTITY = 10_000

RULES: dict[str, str] = {
    "non_finite_number": "UnitPrice not a finite number (inf, -inf, e.g. from a parquet file): no usable "
                         "revenue; checked first, so no other rule sees it",
    "date_outlier": "InvoiceDate in the future of the run, or more than a month outside the bulk of "
                    "the file (its 0.1-99.9 % of dates): a mistyped year such as 2099, which would "
                    "stretch the course split over empty years",
    "sheet_overlap": "line of a later sheet of the workbook that repeats a line of an earlier sheet (all "
                     "8 columns equal): Online Retail II's two sheets both hold 1-9 Dec 2010; the earlier "
                     "sheet's copy is kept",
    "duplicate_line": "exact copy of an earlier line (all 8 columns equal): a double export, "
                      "not a second purchase; the first copy is kept",
    "non_product_code": "StockCode of a service line (POST, DOT, M, D, S, B, C2, CRUK, PADS, "
                        "AMAZONFEE, BANK CHARGES, gift_0001_*, TEST*, ADJUST*): not demand for goods",
    "inventory_adjustment": "stock correction, not a sale: a non-cancellation line with quantity <= 0, "
                            "or a zero-price line whose description is a note ('Unknown', '?', "
                            "'check', 'damaged', 'found', ...)",
    "non_positive_price": "unit price <= 0 on a product line (free items, bad-debt adjustments): "
                          "no revenue and no valid price signal",
    "missing_customer": "no CustomerID (guest or unknown buyer): unusable for customer-level tasks "
                        "(keep_guests=True keeps them for product-demand tasks)",
    "cancellation_matched": "cancellation line (InvoiceNo 'C...') matched to its original purchase "
                            "(same customer and product, not later); the original is marked "
                            "'cancelled' (rows_repaired) and the C line leaves the table",
    "cancellation_partial": "original purchase partly cancelled: its quantity is reduced by the "
                            "cancelled units and it stays 'completed' (rows_repaired)",
    "cancellation_unmatched": "cancellation line with no original in the data (bought before "
                              "2010-12-01, or by a guest): nothing to cancel",
    "quantity_outlier": "completed line above max_quantity units: the safety net for the "
                        "80,995 / 74,215-unit errors when their cancellation is not in the file",
    "stock_code_case": "StockCode upper-cased (85123a and 85123A are the same product)",
    "description_whitespace": "leading/trailing spaces stripped from Description",
}


def _check_input(raw: pd.DataFrame, needs_raw_row: bool = False) -> None:
    missing = [c for c in (*RAW_COLUMNS, *([RAW_ROW] if needs_raw_row else [])) if c not in raw.columns]
    if missing:
        raise ValueError(f"online_retail cleaning: raw table lacks column(s) {', '.join(missing)}; expected "
                         f"{', '.join(RAW_COLUMNS)} and raw_row (read it with labkit.datasets.load_online_retail)")
    kinds = {"Quantity": ("a numeric", pd.api.types.is_numeric_dtype),
             "UnitPrice": ("a numeric", pd.api.types.is_numeric_dtype),
             "InvoiceDate": ("a datetime", pd.api.types.is_datetime64_any_dtype)}
    for col, (what, ok) in kinds.items():
        if not ok(raw[col]) or pd.api.types.is_bool_dtype(raw[col]):
            bad = raw[col][pd.to_numeric(raw[col], errors="coerce").isna() & raw[col].notna()] \
                if what == "a numeric" else raw[col]
            example = f"; e.g. {bad.iloc[0]!r} at row {bad.index[0]}" if len(bad) else ""
            raise ValueError(f"online_retail cleaning: column {col!r} must be {what} column, got dtype "
                             f"{raw[col].dtype}{example}; read the file with labkit.datasets.load_online_retail, "
                             f"which parses and validates it")


def cancellation_lines(raw: pd.DataFrame) -> pd.Series:
    """Lines of a cancellation invoice (InvoiceNo starting with 'C')."""
    return raw["InvoiceNo"].astype("str").str.upper().str.startswith("C").fillna(False).astype(bool)


def non_finite_numbers(raw: pd.DataFrame) -> pd.Series:
    """Lines whose UnitPrice is inf or -inf (the loader already refuses missing values)."""
    return pd.Series(~np.isfinite(raw["UnitPrice"].to_numpy(dtype=np.float64)), index=raw.index)


def date_outliers(raw: pd.DataFrame, margin_days: int = 31, now: pd.Timestamp | None = None) -> pd.Series:
    """Lines dated after ``now`` (default: the time of the run) or more than ``margin_days``
    outside the 0.1-99.9 % quantiles of the file's dates."""
    when = pd.to_datetime(raw["InvoiceDate"])
    lo, hi = when.quantile(0.001), when.quantile(0.999)
    margin = pd.Timedelta(days=margin_days)
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    return ((when < lo - margin) | (when > hi + margin) | (when > now)).fillna(False).astype(bool)


def duplicate_lines(raw: pd.DataFrame) -> pd.Series:
    """Exact repeats of an earlier line over the 8 raw columns (first copy not flagged)."""
    return raw.duplicated(subset=list(RAW_COLUMNS), keep="first")


def sheet_overlaps(raw: pd.DataFrame) -> pd.Series:
    """Lines of a later sheet equal (8 columns) to a line of an earlier sheet; needs ``attrs['sheet_rows']``.

    The loader numbers ``raw_row`` on across the sheets and records each sheet's row count;
    a line's n-th copy in a later sheet is an overlap when the earlier sheets hold it n times.
    A table without that record (one sheet, a CSV) has no overlap.
    """
    sizes = list(raw.attrs.get("sheet_rows", {}).values())
    out = pd.Series(False, index=raw.index)
    if len(sizes) < 2 or RAW_ROW not in raw.columns:
        return out
    sheet = np.searchsorted(np.cumsum(sizes), raw[RAW_ROW].to_numpy(), side="right")
    key = pd.util.hash_pandas_object(raw[list(RAW_COLUMNS)], index=False).to_numpy()
    frame = pd.DataFrame({"key": key, "sheet": sheet}, index=raw.index)
    frame["copy"] = frame.groupby(["key", "sheet"]).cumcount()
    for s in range(1, len(sizes)):
        earlier = frame[frame["sheet"] < s].groupby("key").size()
        here = frame[frame["sheet"] == s]
        out[here.index] = (here["copy"] < here["key"].map(earlier).fillna(0)).to_numpy()
    return out


def non_product_codes(raw: pd.DataFrame) -> pd.Series:
    """Service stock codes (postage, manual, discount, fees, tests...): see SERVICE_CODES."""
    return raw["StockCode"].astype("str").str.strip().str.fullmatch(SERVICE_CODES).fillna(False).astype(bool)


def placeholder_descriptions(raw: pd.DataFrame) -> pd.Series:
    """Descriptions that are stock notes, not product names: missing, 'Unknown', '?', 'check'...

    Product names in this shop are upper case; notes are lower or mixed case, so a text
    without three upper-case letters in a row is a note, as is a word of PLACEHOLDER_WORDS.
    """
    desc = raw["Description"].astype("str")
    word = desc.str.strip().str.lower().isin(PLACEHOLDER_WORDS)
    no_caps = ~desc.str.contains(r"[A-Z]{3}", regex=True).fillna(False).astype(bool)
    return (desc.isna() | word | no_caps).astype(bool)


def inventory_adjustments(raw: pd.DataFrame) -> pd.Series:
    """Non-cancellation lines with quantity <= 0, or zero price with a placeholder description."""
    not_c = ~cancellation_lines(raw)
    return not_c & ((raw["Quantity"] <= 0) | ((raw["UnitPrice"] == 0) & placeholder_descriptions(raw)))


def non_positive_prices(raw: pd.DataFrame) -> pd.Series:
    """Lines with unit price <= 0."""
    return raw["UnitPrice"] <= 0


def missing_customers(raw: pd.DataFrame) -> pd.Series:
    """Lines without a CustomerID."""
    return raw["CustomerID"].isna()


def match_cancellations(lines: pd.DataFrame) -> pd.DataFrame:
    """Pair each cancellation line with the purchase line(s) it cancels.

    Candidates share CustomerID and StockCode, are not later than the cancellation and
    still have units left. A single line with exactly the cancelled quantity is preferred
    (the latest such); otherwise units are taken from the latest candidates backwards
    (partial cancellations, or one cancellation covering several purchases). Cancellations
    are processed in time order. Returns ``cancel_row, original_row, units`` (raw_row
    numbers); a cancellation without candidates has no row. Introduced in 01_data_cleaning.
    """
    _check_input(lines, needs_raw_row=True)
    is_c = cancellation_lines(lines)
    has_customer = lines["CustomerID"].notna()
    key = lines["CustomerID"].astype("str") + "|" + lines["StockCode"].astype("str").str.strip().str.upper()
    when = lines["InvoiceDate"].to_numpy().astype("datetime64[s]").astype(np.int64)
    canc_mask = (is_c & has_customer & (lines["Quantity"] < 0)).to_numpy()
    orig_mask = (~is_c & has_customer & (lines["Quantity"] > 0)).to_numpy()
    orig_mask = orig_mask & key.isin(set(key[canc_mask])).to_numpy()  # only products someone cancelled
    table = pd.DataFrame({"key": key.to_numpy(), "when": when, "qty": lines["Quantity"].to_numpy(),
                          "row": lines[RAW_ROW].to_numpy()})
    orig = table[orig_mask].sort_values(["when", "row"])
    canc = table[canc_mask].sort_values(["when", "row"])
    groups: dict[str, list[tuple[int, int]]] = {}
    for k, w, r in zip(orig["key"].tolist(), orig["when"].tolist(), orig["row"].tolist()):
        groups.setdefault(k, []).append((w, r))
    left = dict(zip(orig["row"].tolist(), orig["qty"].tolist()))
    pairs: list[tuple[int, int, int]] = []
    for k, w, qty, row in zip(canc["key"].tolist(), canc["when"].tolist(), canc["qty"].tolist(),
                              canc["row"].tolist()):
        eligible = [r for d, r in reversed(groups.get(k, [])) if d <= w and left[r] > 0]
        want = -qty
        exact = next((r for r in eligible if left[r] == want), None)
        for r in [exact] if exact is not None else eligible:
            take = min(want, left[r])
            left[r] -= take
            want -= take
            pairs.append((row, r, take))
            if want == 0:
                break
    return pd.DataFrame(pairs, columns=["cancel_row", "original_row", "units"], dtype="int64")


def clean_online_retail(raw: pd.DataFrame, *, keep_guests: bool = False,
                        max_quantity: int = DEFAULT_MAX_QUANTITY) -> CleaningResult:
    """Apply :data:`RULES` to the raw Online Retail table; every raw row kept or quarantined.

    ``keep_guests=True`` keeps lines without CustomerID (``user_id`` missing) for
    product-level demand; their cancellations cannot be matched and are quarantined as
    unmatched. ``max_quantity`` bounds a completed line's quantity. Introduced in
    01_data_cleaning.
    """
    _check_input(raw)
    if max_quantity <= 0:
        raise ValueError(f"clean_online_retail: max_quantity must be a positive number of units, got {max_quantity}")
    df = raw.reset_index(drop=True)
    if RAW_ROW not in df.columns:
        df = df.assign(**{RAW_ROW: np.arange(len(df), dtype=np.int64)})
    reason = pd.Series(None, index=df.index, dtype=object)

    def flag(mask: pd.Series, rule: str) -> None:
        reason[mask.to_numpy(dtype=bool) & reason.isna().to_numpy()] = rule

    flag(non_finite_numbers(df), "non_finite_number")
    flag(date_outliers(df), "date_outlier")
    flag(sheet_overlaps(df), "sheet_overlap")
    flag(duplicate_lines(df), "duplicate_line")
    flag(non_product_codes(df), "non_product_code")
    flag(inventory_adjustments(df), "inventory_adjustment")
    flag(non_positive_prices(df), "non_positive_price")
    if not keep_guests:
        flag(missing_customers(df), "missing_customer")

    live = reason.isna()
    pairs = match_cancellations(df[live])
    is_c = cancellation_lines(df)
    flag(df[RAW_ROW].isin(pairs["cancel_row"]), "cancellation_matched")
    flag(is_c, "cancellation_unmatched")

    quantity = df["Quantity"].astype("int64").copy()
    status = pd.Series("completed", index=df.index, dtype=object)
    units = pairs.groupby("original_row")["units"].sum()
    pos = pd.Series(df.index, index=df[RAW_ROW])
    cancelled = units.index[units.to_numpy() >= quantity[pos[units.index]].to_numpy()]
    partial = units.index.difference(cancelled)
    status[pos[cancelled]] = "cancelled"
    quantity[pos[partial]] -= units[partial].to_numpy()
    flag((status == "completed") & (quantity > max_quantity), "quantity_outlier")

    keep = reason.isna().to_numpy()
    kept = df[keep]
    code = kept["StockCode"].astype("str").str.strip()
    desc = kept["Description"].astype("str")
    clean = pd.DataFrame({
        S.ORDER_ID: kept["InvoiceNo"].astype("str"),
        S.LINE_ID: kept[RAW_ROW].astype("int64"),
        S.USER_ID: kept["CustomerID"].astype("str"),
        S.PRODUCT_ID: code.str.upper(),
        S.QUANTITY: quantity[keep].astype("int64"),
        S.UNIT_PRICE: kept["UnitPrice"].astype("float64"),
        S.TIMESTAMP: kept["InvoiceDate"],
        S.COUNTRY: kept["Country"].astype("str"),
        S.STATUS: status[keep].astype("str"),
        S.DESCRIPTION: desc.str.strip(),
    }).sort_values(S.LINE_ID).reset_index(drop=True)
    quarantine = df[~keep].assign(**{REASON: reason[~keep].astype("str")}).sort_values(RAW_ROW)

    kept_rows = set(clean[S.LINE_ID].tolist())
    repaired = {
        "cancellation_matched": sorted(int(r) for r in cancelled if r in kept_rows),
        "cancellation_partial": sorted(int(r) for r in partial if r in kept_rows),
        "stock_code_case": kept.loc[code != code.str.upper(), RAW_ROW].astype(int).tolist(),
        "description_whitespace": kept.loc[desc.notna() & (desc != desc.str.strip()), RAW_ROW].astype(int).tolist(),
    }
    return CleaningResult(table="online_retail", n_raw=len(df), clean=clean,
                          quarantine=quarantine.reset_index(drop=True), repaired=repaired,
                          descriptions=dict(RULES))
