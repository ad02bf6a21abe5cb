"""The DuckDB SQL of :mod:`labkit.cleaning.sql`: parsing macros, orders and events pipelines.

Templates use ``@name@`` placeholders (SQL regexes are full of braces), filled by
:func:`render`. Each CASE lists the rules in the pandas cleaner's order: the first
matching rule gives the reason. Introduced in 01_data_cleaning.
"""

from __future__ import annotations

import re

MACROS = r"""
CREATE OR REPLACE MACRO lk_trim(s) AS regexp_replace(coalesce(s, ''), '^\s+|\s+$', '', 'g');
CREATE OR REPLACE MACRO lk_blank(s) AS lk_trim(s) = '';
CREATE OR REPLACE MACRO lk_int(s) AS coalesce(
    CASE WHEN CAST(TRY_CAST(s AS BIGINT) AS VARCHAR) = s THEN TRY_CAST(s AS BIGINT) END,  -- fast path
    TRY_CAST(regexp_extract(s, '^\s*([+-]?\d+)\s*$', 1) AS BIGINT));
CREATE OR REPLACE MACRO lk_code(s, pat, off) AS TRY_CAST(regexp_extract(lk_trim(s), pat, 1) AS BIGINT) - off;
CREATE OR REPLACE MACRO lk_price_text(s) AS regexp_replace(coalesce(s, ''), '[£$€\s]|GBP|EUR|USD', '', 'g');
CREATE OR REPLACE MACRO lk_price(s) AS
    CASE WHEN regexp_full_match(lk_price_text(s), '-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?')
         THEN CAST(replace(lk_price_text(s), ',', '') AS DOUBLE) END;
CREATE OR REPLACE MACRO lk_offset_min(s) AS
    CASE WHEN regexp_matches(s, '[+-]\d{2}:?\d{2}$')
         THEN (CASE WHEN regexp_extract(s, '([+-])\d{2}:?\d{2}$', 1) = '-' THEN -1 ELSE 1 END)
              * (CAST(regexp_extract(s, '([+-])(\d{2}):?(\d{2})$', 2) AS INTEGER) * 60
                 + CAST(regexp_extract(s, '([+-])(\d{2}):?(\d{2})$', 3) AS INTEGER))
         ELSE 0 END;
CREATE OR REPLACE MACRO lk_ts_trimmed(s) AS CASE
    WHEN regexp_full_match(s, '\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}') THEN try_strptime(s, '%Y-%m-%d %H:%M:%S')
    WHEN regexp_full_match(s, '\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}') THEN try_strptime(s, '%d/%m/%Y %H:%M:%S')
    WHEN regexp_full_match(s, '\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}') THEN try_strptime(s, '%d/%m/%Y %H:%M')
    WHEN regexp_full_match(s, '\d{1,2}/\d{1,2}/\d{4}') THEN try_strptime(s, '%d/%m/%Y')
    WHEN regexp_matches(s, '^\d{4}-\d{2}-\d{2}') THEN
        TRY_CAST(regexp_replace(s, '(Z|[+-]\d{2}:?\d{2})$', '') AS TIMESTAMP) - to_minutes(lk_offset_min(s))
END;
CREATE OR REPLACE MACRO lk_ts(s) AS coalesce(try_strptime(s, '%Y-%m-%d %H:%M:%S'), lk_ts_trimmed(lk_trim(s)));
"""

# customer and stock codes are parsed once per distinct value, then joined
_CODE_MAPS = r"""
WITH cmap AS (SELECT raw, lk_code(raw, '@customer_code@', @customer_offset@) AS uid, lk_blank(raw) AS cust_blank
              FROM (SELECT DISTINCT "CustomerID" AS raw FROM @t@)),
smap AS (SELECT raw, lk_code(raw, '@stock_code@', 0) AS pid FROM (SELECT DISTINCT "StockCode" AS raw FROM @t@))
"""

# duplicates: only rows whose key repeats are compared in full (window over all columns)
_DUPLICATES = r"""
WITH rep AS (SELECT coalesce(@key@, -1) AS k FROM @t@_parsed GROUP BY 1 HAVING count(*) > 1),
sub AS (SELECT p.raw_row, row_number() OVER (PARTITION BY coalesce(p.@key@, -1) ORDER BY p.raw_row) AS key_rn,
               row_number() OVER (PARTITION BY @all_cols@ ORDER BY p.raw_row) AS ex_rn
        FROM @t@_parsed p JOIN @t@ r USING (raw_row) WHERE coalesce(p.@key@, -1) IN (SELECT k FROM rep))
"""

ORDERS_SQL = r"""
CREATE OR REPLACE TEMP VIEW o AS SELECT rowid AS raw_row, @raw_cols@ FROM o_file;
CREATE OR REPLACE TEMP TABLE o_parsed AS
@code_maps@
SELECT o.raw_row, o."Country" AS country_clean, lk_int("LineID") AS line_id,
    starts_with(upper(lk_trim("InvoiceNo")), 'C') AS is_c,
    cm.uid, cm.cust_blank, sm.pid,
    lk_code("InvoiceNo", '@invoice_code@', @invoice_offset@) AS order_id,
    lk_price("UnitPrice") AS price, lk_blank("UnitPrice") AS price_blank, lk_int("Quantity") AS qty,
    lk_ts("InvoiceDate") AS ts, lk_ts("PromisedDate") AS promised, lk_ts("DeliveredDate") AS delivered,
    lk_blank("DeliveredDate") AS delivered_blank, m.label AS status_label
FROM o LEFT JOIN status_map m ON o."Status" = m.raw
LEFT JOIN cmap cm ON o."CustomerID" = cm.raw LEFT JOIN smap sm ON o."StockCode" = sm.raw;
CREATE OR REPLACE TEMP TABLE o_s1 AS
@duplicates@
SELECT p.*, CASE
    WHEN coalesce(s.ex_rn, 1) > 1 THEN 'exact_duplicate'
    WHEN coalesce(s.key_rn, 1) > 1 THEN 'conflicting_duplicate'
    WHEN line_id IS NULL THEN 'invalid_line_id'
    WHEN NOT is_c AND cust_blank THEN 'guest_checkout'
    WHEN NOT is_c AND uid IS NULL THEN 'invalid_customer_id'
    WHEN NOT is_c AND coalesce(uid, -1) IN (SELECT id FROM ref_tests) THEN 'test_account'
    WHEN NOT is_c AND coalesce(uid, -1) NOT IN (SELECT id FROM ref_users) THEN 'unknown_customer'
    WHEN NOT is_c AND pid IS NULL THEN 'non_product_line'
    WHEN NOT is_c AND coalesce(pid, -1) NOT IN (SELECT id FROM ref_products) THEN 'orphan_product'
    WHEN order_id IS NULL THEN 'invalid_invoice'
    WHEN NOT is_c AND price IS NULL AND NOT price_blank THEN 'unparseable_price'
    WHEN NOT is_c AND price <= 0 THEN 'zero_or_negative_price'
    WHEN qty IS NULL THEN 'unparseable_quantity'
    WHEN NOT is_c AND qty <= 0 THEN 'non_positive_quantity'
END AS reason1
FROM o_parsed p LEFT JOIN sub s USING (raw_row);
CREATE OR REPLACE TEMP TABLE o_s2 AS
WITH base AS (SELECT CAST(qty AS DOUBLE) AS q FROM o_s1 WHERE reason1 IS NULL AND NOT is_c AND qty > 0),
tail AS (SELECT DISTINCT q FROM base WHERE q >= (SELECT quantile_cont(q, @quantile@) FROM base)),
jumps AS (SELECT q, lead(q) OVER (ORDER BY q) AS nxt FROM tail),
lim AS (SELECT coalesce(min(q) FILTER (WHERE nxt >= @gap@ * q), 'Infinity'::DOUBLE) AS q_max FROM jumps)
SELECT s.*, coalesce(reason1, CASE
    WHEN NOT is_c AND qty > (SELECT q_max FROM lim) THEN 'extreme_quantity'
    WHEN NOT is_c AND ts IS NULL THEN 'unparseable_invoicedate'
    WHEN NOT is_c AND ts >= @end@ THEN 'future_timestamp'
    WHEN NOT is_c AND promised IS NULL THEN 'unparseable_promiseddate'
    WHEN NOT is_c AND delivered IS NULL AND NOT delivered_blank THEN 'unparseable_delivereddate'
    WHEN status_label IS NULL THEN 'unknown_status'
END) AS reason2, CAST(date_trunc('day', ts) AS TIMESTAMP) AS day
FROM o_s1 s;
CREATE OR REPLACE TEMP TABLE o_s3 AS
WITH base AS (SELECT *, (NOT is_c AND reason2 IS NULL AND price_blank) AS need FROM o_s2),
same AS (SELECT day, coalesce(pid, -1) AS pk, median(price) AS med FROM base
         WHERE reason2 IS NULL AND NOT need AND price > 0 GROUP BY ALL)
SELECT b.*, CASE WHEN need THEN coalesce(round(pl.price, 2), sm.med) ELSE b.price END AS price_filled
FROM base b
LEFT JOIN price_list pl ON b.need AND pl.date = b.day AND pl.product_id = coalesce(b.pid, -1)
LEFT JOIN same sm ON b.need AND sm.day = b.day AND sm.pk = coalesce(b.pid, -1);
CREATE OR REPLACE TEMP TABLE o_s4 AS
SELECT *, coalesce(reason2, CASE WHEN need AND price_filled IS NULL THEN 'missing_price' END) AS reason3 FROM o_s3;
CREATE OR REPLACE TEMP TABLE o_match AS
WITH c AS (SELECT raw_row, order_id AS o, pid AS p, -qty AS q,
                  row_number() OVER (PARTITION BY order_id, pid, -qty ORDER BY raw_row) AS k
           FROM o_s4 WHERE is_c AND reason3 IS NULL AND pid IS NOT NULL),
     g AS (SELECT raw_row, order_id AS o, pid AS p, qty AS q,
                  row_number() OVER (PARTITION BY order_id, pid, qty ORDER BY raw_row) AS k
           FROM o_s4 WHERE NOT is_c AND reason3 IS NULL AND pid IS NOT NULL)
SELECT c.raw_row AS c_row, g.raw_row AS o_row FROM c JOIN g USING (o, p, q, k);
CREATE OR REPLACE TEMP TABLE o_flags AS
SELECT s.*, coalesce(reason3, CASE WHEN is_c AND mc.c_row IS NOT NULL THEN '@cancelled@'
                                   WHEN is_c THEN 'unmatched_cancellation' END) AS reason,
    mo.o_row IS NOT NULL AS original,
    CASE WHEN mo.o_row IS NOT NULL THEN 'cancelled' WHEN status_label = 'dispatched' THEN 'completed'
         ELSE status_label END AS status_clean
FROM o_s4 s LEFT JOIN o_match mc ON s.raw_row = mc.c_row LEFT JOIN o_match mo ON s.raw_row = mo.o_row;
"""

EVENTS_SQL = r"""
CREATE OR REPLACE TEMP VIEW e AS SELECT rowid AS raw_row, @raw_cols@ FROM e_file;
CREATE OR REPLACE TEMP TABLE e_parsed AS
@code_maps@
SELECT e.raw_row, lk_int("EventID") AS event_id, lk_int("SessionID") AS session_id, cm.uid, cm.cust_blank, sm.pid,
    CAST(date_trunc('millisecond', lk_ts("Timestamp")) AS TIMESTAMP) AS ts,
    lk_int("DwellSeconds") AS dwell, t.code AS etype, d.code AS device_code
FROM e LEFT JOIN etype_map t ON e."EventType" = t.raw LEFT JOIN device_map d ON e."Device" = d.raw
LEFT JOIN cmap cm ON e."CustomerID" = cm.raw LEFT JOIN smap sm ON e."StockCode" = sm.raw;
CREATE OR REPLACE TEMP TABLE e_s1 AS
@duplicates@
SELECT p.*, CASE
    WHEN coalesce(s.ex_rn, 1) > 1 THEN 'exact_duplicate'
    WHEN coalesce(s.key_rn, 1) > 1 THEN 'conflicting_duplicate'
    WHEN event_id IS NULL OR session_id IS NULL THEN 'invalid_id'
END AS reason1
FROM e_parsed p LEFT JOIN sub s USING (raw_row);
CREATE OR REPLACE TEMP TABLE e_bots AS
WITH base AS (SELECT session_id, ts FROM e_s1 WHERE reason1 IS NULL AND ts IS NOT NULL),
sz AS (SELECT session_id, count(*) AS n FROM base GROUP BY session_id),
gaps AS (SELECT b.session_id,
                (epoch_us(b.ts) - epoch_us(lag(b.ts) OVER (PARTITION BY b.session_id ORDER BY b.ts))) / 1e6 AS gap
         FROM base b JOIN sz USING (session_id) WHERE sz.n >= @min_events@ AND sz.n < @max_events@),
med AS (SELECT session_id, median(gap) AS m FROM gaps GROUP BY session_id)
SELECT session_id FROM sz WHERE n >= @max_events@ UNION SELECT session_id FROM med WHERE m < @min_gap@;
CREATE OR REPLACE TEMP TABLE e_flags AS
SELECT s.*, coalesce(reason1, CASE
    WHEN ts IS NOT NULL AND session_id IN (SELECT session_id FROM e_bots) THEN 'bot_session'
    WHEN cust_blank THEN 'missing_customer'
    WHEN uid IS NULL THEN 'invalid_customer_id'
    WHEN coalesce(uid, -1) IN (SELECT id FROM ref_tests) THEN 'test_account'
    WHEN coalesce(uid, -1) NOT IN (SELECT id FROM ref_users) THEN 'unknown_customer'
    WHEN pid IS NULL THEN 'non_product_code'
    WHEN coalesce(pid, -1) NOT IN (SELECT id FROM ref_products) THEN 'orphan_product'
    WHEN etype IS NULL OR device_code IS NULL THEN 'unknown_label'
    WHEN dwell IS NULL OR dwell < 0 THEN 'invalid_dwell'
    WHEN ts IS NULL THEN 'unparseable_timestamp'
    WHEN ts >= @end@ THEN 'future_timestamp'
END) AS reason
FROM e_s1 s;
"""

# repairs named by the raw format of the time column, plus table-specific ones (@extra@)
REPAIRS = r"""
CREATE OR REPLACE TEMP TABLE @t@_repairs AS
WITH kept AS (SELECT * FROM @t@_flags JOIN @t@ USING (raw_row) WHERE reason IS NULL),
odd AS (SELECT raw_row, "@ts@" AS s FROM kept
        WHERE NOT lk_blank("@ts@") AND NOT regexp_matches("@ts@", '^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$')),
kinds AS (SELECT raw_row, regexp_matches(s, '^\d{1,2}/\d{1,2}/\d{4}') AS slash,
                 regexp_matches(s, '(?:Z|[+-]\d{2}:?\d{2})$') AS zone FROM odd)
SELECT raw_row, 'mixed_date_format' AS rule FROM kinds WHERE slash
UNION ALL SELECT raw_row, 'timezone_offset' FROM kinds WHERE zone
UNION ALL SELECT raw_row, 'timestamp_format' FROM kinds WHERE NOT slash AND NOT zone
@extra@;
"""


def render(template: str, **values: object) -> str:
    """Fill ``@name@`` placeholders; every placeholder must be given, and every value used."""
    blocks = {"duplicates": _DUPLICATES, "code_maps": _CODE_MAPS}
    values = {**blocks, **values}
    names = set(re.findall(r"@(\w+)@", template))
    for block, text in blocks.items():
        if block in names:
            names |= set(re.findall(r"@(\w+)@", text))
    missing = names - set(values)
    if missing:
        raise ValueError(f"SQL template: no value for placeholder(s) {sorted(missing)}")
    out = template
    for _ in range(2):  # the blocks have placeholders of their own
        for name, value in values.items():
            out = out.replace(f"@{name}@", str(value))
    return out
