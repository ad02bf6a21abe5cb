"""The dirty raw export: the same world as a real shop's CSV/JSON exports, with known faults.

Clean tables are written first; the raw export is derived from copies with faults
injected at known counts. ``raw/faults.parquet`` lists every affected raw row (its
0-based data-row number in the file), the fault kind and the expected action
(``quarantine`` an extra row, or ``repair`` a clean row), so 01 can prove recall 1.0
and that no clean row was harmed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from .conventions import CUSTOMER_OFFSET
from .faults import RawTable, fmt_ts, html_wrapped, label_variant, messy_price, mojibake, with_emoji
from .orders import invoice_number

NON_PRODUCT_CODES = (("POST", "POSTAGE"), ("M", "Manual"), ("BANK CHARGES", "Bank Charges"),
                     ("DOT", "DOTCOM POSTAGE"), ("AMAZONFEE", "AMAZON FEE"))
TEST_ACCOUNTS = 5
KEY_COLUMN = {"orders": "LineID", "events": "EventID", "products": "StockCode", "users": "CustomerID",
              "reviews": "ReviewID", "messages": "MessageID"}


def sku(product_id: np.ndarray) -> np.ndarray:
    """The raw export's stock code of a product (``P00042``)."""
    return np.char.add("P", np.char.zfill(np.char.mod("%d", np.asarray(product_id)), 5))


def customer_code(user_id: np.ndarray) -> np.ndarray:
    return np.char.mod("%d", np.asarray(user_id) + CUSTOMER_OFFSET)


def _raw_orders(w: dict, rng: np.random.Generator) -> RawTable:
    o, products = w["orders"], w["products"]
    title = products[S.TITLE].to_numpy()
    st = o[S.STATUS].to_numpy()
    df = pd.DataFrame({
        "LineID": o[S.LINE_ID].to_numpy(), "InvoiceNo": invoice_number(o[S.ORDER_ID].to_numpy()).astype(object),
        "StockCode": sku(o[S.PRODUCT_ID].to_numpy()).astype(object), "Description": title[o[S.PRODUCT_ID]],
        "Quantity": o[S.QUANTITY].to_numpy().astype(np.int64), "InvoiceDate": fmt_ts(o[S.TIMESTAMP]),
        "UnitPrice": np.array([f"{x:.2f}" for x in o[S.UNIT_PRICE]], dtype=object),
        "CustomerID": customer_code(o[S.USER_ID].to_numpy()).astype(object), "Country": o[S.COUNTRY].to_numpy(),
        "Status": np.where(st == "returned", "returned", "dispatched").astype(object),
        "PromisedDate": o[S.PROMISED_DATE].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "DeliveredDate": o[S.DELIVERED_DATE].dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object),
    })
    t = RawTable("orders", df, rng)
    ts = o[S.TIMESTAMP]
    t.repair("price_as_string", 0.02, "UnitPrice", lambda v, r: messy_price(v, rng))
    t.repair("missing_price", 0.005, "UnitPrice", lambda v, r: np.full(len(v), "", dtype=object))
    t.repair("mixed_date_format", 0.03, "InvoiceDate",
             lambda v, r: ts.iloc[r].dt.strftime("%d/%m/%Y %H:%M:%S").to_numpy(dtype=object))
    offs = np.array([60, 120, -300, 330])

    def local(v: np.ndarray, r: np.ndarray) -> np.ndarray:
        k = rng.integers(0, len(offs), len(r))
        loc = ts.iloc[r].to_numpy() + offs[k].astype("timedelta64[m]")
        sign = np.where(offs[k] >= 0, "+", "-")
        return np.array([f"{pd.Timestamp(x):%Y-%m-%dT%H:%M:%S}{s}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
                         for x, s, m in zip(loc, sign, offs[k])], dtype=object)
    t.repair("timezone_offset", 0.02, "InvoiceDate", local)
    base = t.df
    # cancellations: a "C" invoice with negative quantity for every line of a cancelled order
    canc = np.nonzero(st == "cancelled")[0]
    c = base.iloc[canc].copy()
    c["LineID"] = 10_000_000 + np.arange(len(c))
    c["InvoiceNo"] = "C" + c["InvoiceNo"]
    c["Quantity"] = -c["Quantity"]
    c["InvoiceDate"] = fmt_ts(ts.iloc[canc] + pd.to_timedelta(rng.integers(600, 7200, len(c)), unit="s"))
    c["UnitPrice"] = np.array([f"{x:.2f}" for x in o[S.UNIT_PRICE].iloc[canc]], dtype=object)
    c["Status"], c["DeliveredDate"] = "cancelled", ""
    t.add("cancellation", c, after=canc)
    next_id = [20_000_000]

    def junk(n: int) -> pd.DataFrame:
        rows = t.sample(n)
        j = base.iloc[rows].copy()
        j["LineID"] = next_id[0] + np.arange(len(j))
        next_id[0] += len(j)
        return j
    dup = t.sample(t.count(0.005))
    t.add("exact_duplicate", base.iloc[dup].copy(), after=dup)
    conf = t.sample(t.count(0.002))
    cd = base.iloc[conf].copy()
    cd["Quantity"] = cd["Quantity"] + rng.integers(1, 6, len(cd))
    t.add("conflicting_duplicate", cd, after=conf)
    g = junk(t.count(0.01))
    g["CustomerID"] = ""
    t.add("guest_checkout", g)
    z = junk(t.count(0.003))
    z["UnitPrice"] = np.where(rng.random(len(z)) < 0.5, "0.00", "-11062.06")
    z["Description"] = np.where(z["UnitPrice"] == "0.00", "free sample", "Adjust bad debt")
    t.add("zero_or_negative_price", z)
    x = junk(max(3, t.count(0.0001)))
    x["Quantity"] = rng.choice([12540, 74215, 80995], len(x))
    t.add("extreme_quantity", x)
    ta = junk(t.count(0.003))
    ta["CustomerID"] = customer_code(rng.integers(0, TEST_ACCOUNTS, len(ta)) + 900_000 - CUSTOMER_OFFSET)
    t.add("test_account", ta)
    f = junk(t.count(0.001))
    f["InvoiceDate"] = fmt_ts(pd.Series(pd.to_datetime(f["InvoiceDate"], format="mixed", utc=True).dt.tz_localize(None)
                                         + pd.DateOffset(years=7)))
    t.add("future_timestamp", f)
    orph = junk(t.count(0.001))
    orph["StockCode"] = sku(len(products) + rng.integers(100, 900, len(orph)))
    t.add("orphan_product", orph)
    npl = junk(t.count(0.005))
    k = rng.integers(0, len(NON_PRODUCT_CODES), len(npl))
    npl["StockCode"] = [NON_PRODUCT_CODES[i][0] for i in k]
    npl["Description"] = [NON_PRODUCT_CODES[i][1] for i in k]
    npl["Quantity"] = 1
    t.add("non_product_line", npl)
    return t


def _raw_events(w: dict, rng: np.random.Generator) -> RawTable:
    e = w["events"]
    n_prod = len(w["products"])
    codes = pd.Categorical.from_codes(e[S.PRODUCT_ID].to_numpy(), categories=list(sku(np.arange(n_prod))))
    etype = e[S.EVENT_TYPE].cat.add_categories(["ADD_TO_CART", " Add_To_Cart", "add-to-cart", "View", "VIEW "])
    df = pd.DataFrame({
        "EventID": e[S.EVENT_ID].to_numpy(), "SessionID": e[S.SESSION_ID].to_numpy(),
        "CustomerID": e[S.USER_ID].to_numpy().astype(np.int64) + CUSTOMER_OFFSET,
        "StockCode": codes.add_categories(list(sku(n_prod + np.arange(100, 900)))),
        "EventType": etype, "Timestamp": e[S.TIMESTAMP].to_numpy(), "DwellSeconds": e[S.DWELL_SECONDS].to_numpy(),
        "Device": e[S.DEVICE].to_numpy(),
    })
    t = RawTable("events", df, rng)
    is_cart, is_view = (e[S.EVENT_TYPE] == "add_to_cart").to_numpy(), (e[S.EVENT_TYPE] == "view").to_numpy()
    t.repair("category_label_variant", 0.002, "EventType",
             lambda v, r: np.array(["ADD_TO_CART", " Add_To_Cart", "add-to-cart"])[rng.integers(0, 3, len(r))],
             eligible=is_cart)
    t.repair("category_label_variant", 0.002, "EventType",
             lambda v, r: np.array(["View", "VIEW "])[rng.integers(0, 2, len(r))], eligible=is_view)
    base = t.df
    dup = t.sample(t.count(0.001))
    t.add("exact_duplicate", base.iloc[dup].copy(), after=dup)
    next_id = [int(e[S.EVENT_ID].max()) + 1_000_000]

    def junk(n: int) -> pd.DataFrame:
        j = base.iloc[t.sample(n)].copy()
        j["EventID"] = next_id[0] + np.arange(len(j))
        next_id[0] += len(j)
        return j
    f = junk(t.count(0.0002))
    f["Timestamp"] = f["Timestamp"] + pd.DateOffset(years=7)
    t.add("future_timestamp", f)
    orph = junk(t.count(0.0002))
    orph["StockCode"] = sku(n_prod + rng.integers(100, 900, len(orph)))
    t.add("orphan_product", orph)
    n_bots = max(2, int(0.0002 * e[S.SESSION_ID].nunique()))
    sizes = rng.integers(60, 200, n_bots)
    bot = junk(int(sizes.sum()))
    start = np.repeat(bot["Timestamp"].to_numpy()[np.cumsum(sizes) - sizes], sizes)
    step = np.arange(len(bot)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    bot["SessionID"] = np.repeat(int(e[S.SESSION_ID].max()) + 1 + np.arange(n_bots), sizes)
    bot["CustomerID"] = np.repeat(bot["CustomerID"].to_numpy()[np.cumsum(sizes) - sizes], sizes)
    bot["Timestamp"] = start + step.astype("timedelta64[s]")
    bot["EventType"], bot["DwellSeconds"] = "view", 1
    t.extras.append((bot.reset_index(drop=True), np.repeat(t.sample(n_bots), sizes), "bot_session", "quarantine"))
    return t


def _raw_products(w: dict, rng: np.random.Generator) -> RawTable:
    p = w["products"]
    df = pd.DataFrame({
        "StockCode": sku(p[S.PRODUCT_ID].to_numpy()).astype(object), "Category": p[S.CATEGORY].to_numpy(dtype=object),
        "Subcategory": p[S.SUBCATEGORY].to_numpy(dtype=object), "Brand": p[S.BRAND].to_numpy(dtype=object),
        "Colour": p[S.COLOUR].to_numpy(dtype=object),
        "BasePrice": np.array([f"{x:.2f}" for x in p[S.BASE_PRICE]], dtype=object),
        "LaunchDate": p[S.LAUNCH_DATE].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "Title": p[S.TITLE].to_numpy(dtype=object), "Description": p[S.DESCRIPTION].to_numpy(dtype=object),
    })
    t = RawTable("products", df, rng)
    t.repair("category_label_variant", 0.1, "Category", lambda v, r: label_variant(v, rng))
    t.repair("price_as_string", 0.1, "BasePrice", lambda v, r: messy_price(v, rng))
    t.repair("html_in_text", 0.05, "Description", lambda v, r: html_wrapped(v, rng))
    t.repair("emoji_in_text", 0.05, "Title", lambda v, r: with_emoji(v, rng))
    has_apos = df["Description"].str.contains("'", regex=False).to_numpy()
    if has_apos.any():
        t.repair("mojibake", 0.05, "Description", lambda v, r: mojibake(v), eligible=has_apos)
    dup = t.sample(t.count(0.01))
    t.add("exact_duplicate", t.df.iloc[dup].copy(), after=dup)
    return t


def _raw_users(w: dict, rng: np.random.Generator) -> RawTable:
    u = w["users"]
    uid = u[S.USER_ID].to_numpy()
    df = pd.DataFrame({
        "CustomerID": customer_code(uid).astype(object),
        "Email": np.char.add(np.char.add("customer", np.char.mod("%d", uid)), "@mail.example").astype(object),
        "SignupDate": u[S.SIGNUP_DATE].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "Region": u[S.REGION].to_numpy(dtype=object), "Country": u[S.COUNTRY].to_numpy(dtype=object),
        "Device": u[S.DEVICE].to_numpy(dtype=object), "AgeBand": u[S.AGE_BAND].to_numpy(dtype=object),
        "Segment": u[S.SEGMENT].to_numpy(dtype=object),
    })
    t = RawTable("users", df, rng)
    t.repair("mixed_date_format", 0.03, "SignupDate",
             lambda v, r: u[S.SIGNUP_DATE].iloc[r].dt.strftime("%d/%m/%Y").to_numpy(dtype=object))
    t.repair("category_label_variant", 0.03, "Region", lambda v, r: label_variant(v, rng))
    test = t.df.iloc[:TEST_ACCOUNTS].copy()
    test["CustomerID"] = customer_code(900_000 - CUSTOMER_OFFSET + np.arange(TEST_ACCOUNTS))
    test["Email"] = [f"qa{i}@shop-internal.test" for i in range(TEST_ACCOUNTS)]
    test["Segment"] = "internal"
    t.add("test_account", test)
    conf = t.sample(t.count(0.002))
    cd = t.df.iloc[conf].copy()
    cd["Region"] = np.asarray(["north", "south", "east", "west"])[rng.integers(0, 4, len(cd))]
    cd["Device"] = "unknown"
    t.add("conflicting_duplicate", cd, after=conf)
    return t


def _raw_texts(w: dict, rng: np.random.Generator, name: str) -> RawTable:
    if name == "reviews":
        r = w["reviews"]
        df = pd.DataFrame({
            "ReviewID": r[S.REVIEW_ID].to_numpy(), "CustomerID": customer_code(r[S.USER_ID].to_numpy()).astype(object),
            "StockCode": sku(r[S.PRODUCT_ID].to_numpy()).astype(object),
            "InvoiceNo": invoice_number(r[S.ORDER_ID].to_numpy()).astype(object),
            "Date": r[S.TIMESTAMP].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object),
            "Rating": r[S.RATING].to_numpy().astype(np.int64), "Text": r[S.TEXT].to_numpy(dtype=object),
        })
    else:
        m = w["messages"]
        oid, pid = m[S.ORDER_ID], m[S.PRODUCT_ID]
        df = pd.DataFrame({
            "MessageID": m[S.MESSAGE_ID].to_numpy(), "CustomerID": customer_code(m[S.USER_ID].to_numpy()).astype(object),
            "Timestamp": m[S.TIMESTAMP].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object),
            "InvoiceNo": np.where(oid.isna(), None, invoice_number(oid.fillna(0).to_numpy()).astype(object)),
            "StockCode": np.where(pid.isna(), None, sku(pid.fillna(0).to_numpy()).astype(object)),
            "Text": m[S.TEXT].to_numpy(dtype=object), "Intent": m[S.INTENT].to_numpy(dtype=object),
        })
    t = RawTable(name, df, rng)
    t.repair("emoji_in_text", 0.03, "Text", lambda v, r: with_emoji(v, rng))
    t.repair("html_in_text", 0.02, "Text", lambda v, r: html_wrapped(v, rng))
    has_apos = df["Text"].str.contains("'", regex=False).to_numpy()
    if has_apos.any():
        t.repair("mojibake", 0.03, "Text", lambda v, r: mojibake(v), eligible=has_apos)
    dup = t.sample(t.count(0.005))
    t.add("exact_duplicate", t.df.iloc[dup].copy(), after=dup)
    return t


def write_raw_export(w: dict, out: Path, seed: int) -> dict[str, object]:
    """Write ``raw/`` (CSV and JSON lines) and ``raw/faults.parquet``; return the manifest part."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    out.mkdir(parents=True, exist_ok=True)
    end = pd.Timestamp(w["calendar"][S.DATE].iloc[-1]) + pd.Timedelta(days=1)
    tables = {"orders": _raw_orders(w, rng), "products": _raw_products(w, rng), "users": _raw_users(w, rng),
              "reviews": _raw_texts(w, rng, "reviews"), "messages": _raw_texts(w, rng, "messages"),
              "events": _raw_events(w, rng)}
    files = {"orders": "orders.csv", "products": "products.csv", "users": "customers.csv",
             "events": "events.csv", "reviews": "reviews.jsonl", "messages": "messages.jsonl"}
    faults, info = [], {}
    for name, table in tables.items():
        df, f = table.finish()
        f["id"] = df[KEY_COLUMN[name]].iloc[f["row"].to_numpy()].astype(str).to_numpy()
        faults.append(f)
        path = out / files[name]
        if name == "events":
            tbl = pa.Table.from_pandas(df, preserve_index=False)
            tbl = tbl.cast(pa.schema([pa.field(fl.name, pa.string()) if pa.types.is_dictionary(fl.type) else fl
                                      for fl in tbl.schema]))
            pacsv.write_csv(tbl, path)
        elif files[name].endswith(".jsonl"):
            df.to_json(path, orient="records", lines=True, force_ascii=False)
        else:
            df.to_csv(path, index=False)
        info[name] = {"file": files[name], "rows": int(len(df)), "key": KEY_COLUMN[name],
                      "faults": {k: int(v) for k, v in f.groupby("kind").size().items()},
                      "fault_rows": {k: g["row"].tolist() for k, g in f.groupby("kind")},
                      "fault_ids": {k: g["id"].tolist() for k, g in f.groupby("kind")}}
    all_faults = pd.concat(faults, ignore_index=True)
    all_faults.to_parquet(out / "faults.parquet", index=False)
    return {"folder": "raw", "export_end": str(end), "tables": info, "fault_rows": "raw/faults.parquet",
            "test_accounts": [int(c) for c in customer_code(900_000 - CUSTOMER_OFFSET + np.arange(TEST_ACCOUNTS))],
            "non_product_codes": [c for c, _ in NON_PRODUCT_CODES],
            "row_numbering": "0-based data row of the file (header excluded; JSON lines: line number)"}
