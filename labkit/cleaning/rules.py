"""Small, named cleaning rules: pure, vectorised functions usable on any shop export.

Each rule takes string columns (as read with ``dtype=str``, blanks as ``""``) and returns
parsed values or boolean flags; none of them mutates its input or knows about the
synthetic world. Introduced in 01_data_cleaning (synthetic and real-data tracks).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .text import clean_text, strip_emoji  # noqa: F401  (re-exported: the text rules)

_PRICE_JUNK = r"[£$€\s]|GBP|EUR|USD"
_NUMBER = r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"  # commas only as thousands separators
_INTEGER = r"^\s*[+-]?\d+\s*$"


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """The column as an Arrow string array, missing values as ``""``."""
    arr = pa.array(values.astype("str").array)
    if not isinstance(arr, pa.ChunkedArray):
        arr = pa.chunked_array([arr])
    return pc.fill_null(arr.cast(pa.large_string()), "")


def _fail(column: str, values: pd.Series, bad: np.ndarray, expected: str) -> None:
    """Raise the rules' common ``ValueError``: column, count, examples, what was expected."""
    examples = values[bad].drop_duplicates().head(3).tolist()
    raise ValueError(f"column {column!r}: {int(bad.sum())} value(s) are not {expected}, "
                     f"e.g. {examples}; pass errors='coerce' to get NaN/NaT instead")


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")


def blank(values: pd.Series) -> np.ndarray:
    """True where a raw value is missing: NaN/None or only whitespace (01_data_cleaning)."""
    return (values.isna() | (values.astype("str").str.strip() == "")).to_numpy(dtype=bool)


def parse_price(values: pd.Series, column: str = "price", errors: str = "raise") -> pd.Series:
    """Parse price strings (``£1,234.50``, ``1234.50 GBP``, `` 1,234.50 ``) to float64.

    Blank values become NaN. Currency symbols/codes, spaces and thousands commas are
    removed; a comma that is not a thousands separator (``12,50``) is unparseable rather
    than silently read as 1250. Unparseable values raise a ``ValueError`` naming
    ``column`` (``errors="raise"``) or become NaN (``errors="coerce"``).
    Introduced in 01_data_cleaning.
    """
    _check_errors(errors)
    raw = _arrow(values)
    s = pc.replace_substring_regex(raw, _PRICE_JUNK, "")
    ok = pc.match_substring_regex(s, _NUMBER)
    empty = pc.equal(pc.utf8_trim_whitespace(raw), "")
    bad = ~np.asarray(pc.or_(ok, empty).to_numpy(zero_copy_only=False), dtype=bool)
    if errors == "raise" and bad.any():
        _fail(column, values, bad, "prices like '12.50', '£1,234.50' or '12.50 GBP'")
    s = pc.if_else(ok, pc.replace_substring(s, ",", ""), pa.scalar(None, pa.large_string()))
    out = pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.Series(out, index=values.index, name=values.name, dtype="float64")


def parse_integer(values: pd.Series, column: str = "value", errors: str = "raise") -> pd.Series:
    """Parse integer strings to nullable ``Int64`` (blank → ``<NA>``); 01_data_cleaning.

    Unparseable values raise a ``ValueError`` naming ``column`` or, with
    ``errors="coerce"``, become ``<NA>``.
    """
    _check_errors(errors)
    raw = _arrow(values)
    try:  # fast path: every value is a plain integer ("42", "-7")
        ints = pc.cast(raw, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        arr = pc.utf8_trim_whitespace(raw)
        ok = pc.match_substring_regex(arr, _INTEGER)
        bad = ~np.asarray(pc.or_(ok, pc.equal(arr, "")).to_numpy(zero_copy_only=False), dtype=bool)
        if errors == "raise" and bad.any():
            _fail(column, values, bad, "integers")
        arr = pc.if_else(ok, pc.replace_substring_regex(arr, r"^\+", ""), pa.scalar(None, pa.large_string()))
        try:
            ints = pc.cast(arr, pa.int64())
        except pa.ArrowInvalid as err:
            raise ValueError(f"column {column!r}: an integer outside the int64 range ({err})") from None
    return pd.Series(pd.array(ints.to_pandas(types_mapper=pd.ArrowDtype).astype("Int64")),
                     index=values.index, name=values.name)


_DAYFIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def parse_timestamp(values: pd.Series, column: str = "timestamp", errors: str = "raise",
                    unit: str = "us") -> pd.Series:
    """Parse mixed timestamp strings to naive UTC ``datetime64[unit]``; 01_data_cleaning.

    Accepted: ``YYYY-mm-dd HH:MM:SS`` (and date-only ``YYYY-mm-dd``), day-first
    ``dd/mm/YYYY HH:MM[:SS]`` or ``dd/mm/YYYY`` (slashes are always read day-first, the
    UK convention: ``03/04/2023`` is 3 April), and ISO 8601 with ``T``, fractions, ``Z``
    or a ``±HH:MM`` offset (converted to UTC, then the zone dropped; values without a zone
    are taken as UTC). Blank → NaT. Unparseable values raise a ``ValueError`` naming
    ``column`` or, with ``errors="coerce"``, become NaT.
    """
    _check_errors(errors)
    if unit not in ("s", "ms", "us", "ns"):
        raise ValueError(f"unit must be 's', 'ms', 'us' or 'ns', got {unit!r}")
    arr = pc.utf8_trim_whitespace(_arrow(values))
    # fast path: the common plain format, parsed in Arrow
    fast = pc.strptime(arr, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    out = fast.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    todo = np.isnat(out) & ~np.asarray(pc.equal(arr, "").to_numpy(zero_copy_only=False), dtype=bool)
    if todo.any():
        rest = pd.Series(arr.to_numpy(zero_copy_only=False)[todo], dtype="str")
        parsed = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[us]")
        slash = rest.str.match(r"^\d{1,2}/\d{1,2}/\d{4}").to_numpy(dtype=bool)
        for fmt in _DAYFIRST:
            left = slash & parsed.isna().to_numpy()
            if left.any():
                parsed[left] = pd.to_datetime(rest[left], format=fmt, errors="coerce").astype("datetime64[us]")
        iso = ~slash & rest.str.match(r"^\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        if iso.any():
            parsed[iso] = pd.to_datetime(rest[iso], format="ISO8601", utc=True, errors="coerce"
                                         ).dt.tz_convert(None).astype("datetime64[us]")
        out[todo] = parsed.to_numpy(dtype="datetime64[us]")
        bad = np.zeros(len(out), dtype=bool)
        bad[todo] = np.isnat(out[todo])
        if errors == "raise" and bad.any():
            _fail(column, values, bad, "timestamps like 'YYYY-mm-dd HH:MM:SS', 'dd/mm/YYYY HH:MM:SS' "
                  "or ISO 8601 with an offset")
    return pd.Series(out, index=values.index, name=values.name).astype(f"datetime64[{unit}]")


def _label_key(value: str) -> str:
    return re.sub(r"[\s_\-]+", "_", value.strip().lower()).strip("_")


def label_mapping(values: Iterable[object], vocabulary: Iterable[str],
                  cutoff: float = 0.75) -> dict[object, str | None]:
    """Map each distinct raw label to its vocabulary label, or ``None`` if unknown (01_data_cleaning).

    A label matches when its key (lower case, whitespace/``-``/``_`` runs as ``_``) equals
    a vocabulary key; otherwise the closest key by ``difflib`` ratio is taken if it is at
    least ``cutoff`` and strictly better than the runner-up (so ``souht`` → ``south``,
    ``tosp`` → ``tops``), else ``None``: an unknown or ambiguous label is never guessed.
    """
    vocab = list(dict.fromkeys(vocabulary))
    if not vocab:
        raise ValueError("vocabulary must list at least one label")
    keys = {_label_key(v): v for v in vocab}
    out: dict[object, str | None] = {}
    for raw in dict.fromkeys(values):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw).strip():
            out[raw] = None
            continue
        key = _label_key(str(raw))
        if key in keys:
            out[raw] = keys[key]
            continue
        scores = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in keys), reverse=True)
        best = scores[0]
        runner = scores[1][0] if len(scores) > 1 else -1.0
        out[raw] = keys[best[1]] if best[0] >= cutoff and best[0] > runner else None
    return out


def label_codes(values: pd.Series, vocabulary: Iterable[str], cutoff: float = 0.75) -> np.ndarray:
    """Position of each row's canonical label in ``vocabulary`` (−1: unknown); see :func:`canonical_label`."""
    vocab = list(dict.fromkeys(vocabulary))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapping = label_mapping(uniques.tolist(), vocab, cutoff)
    pos = {v: i for i, v in enumerate(vocab)}
    lookup = np.array([pos[mapping[u]] if mapping[u] is not None else -1 for u in uniques.tolist()] + [-1],
                      dtype=np.int64)
    return lookup[codes]


def canonical_label(values: pd.Series, vocabulary: Iterable[str], cutoff: float = 0.75) -> pd.Series:
    """Map case/whitespace/separator variants and typos to ``vocabulary`` (01_data_cleaning).

    Works on the distinct values only, so it is fast on millions of rows. Unknown,
    ambiguous or blank labels become NaN: the caller quarantines them (rather than this
    rule raising), so one odd label does not stop a whole export. See :func:`label_mapping`.
    """
    vocab = list(dict.fromkeys(vocabulary))
    codes = label_codes(values, vocab, cutoff)
    labels = np.array([*vocab, np.nan], dtype=object)[codes]
    return pd.Series(labels, index=values.index, name=values.name, dtype="str")


def duplicate_flags(df: pd.DataFrame, key: str | list[str],
                    key_values: pd.Series | np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """``(exact, conflicting)`` row flags; the first occurrence of each key is kept (01_data_cleaning).

    ``exact``: the row is identical, in every column, to an earlier row. ``conflicting``:
    an earlier row has the same ``key`` but the row is not an exact copy of an earlier
    one. Only rows with a repeated key are compared in full, so this is fast;
    ``key_values`` (e.g. the parsed integer ids) replaces the key columns' text when given.
    """
    cols = [key] if isinstance(key, str) else list(key)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"duplicate key column(s) {missing} not in the table; columns are {list(df.columns)}")
    if key_values is not None:
        if len(key_values) != len(df):
            raise ValueError(f"key_values has {len(key_values)} values for {len(df)} rows")
        codes, _ = pd.factorize(np.asarray(key_values), use_na_sentinel=False)
    else:
        codes = df.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()
    # codes number keys in order of first appearance: a row repeats a key iff its code is
    # not above the largest code seen before it
    repeated = np.bincount(codes)[codes] > 1 if len(codes) else np.zeros(0, dtype=bool)
    later = codes <= np.maximum.accumulate(np.r_[-1, codes[:-1]]) if len(codes) else repeated
    exact = np.zeros(len(df), dtype=bool)
    if repeated.any():
        exact[repeated] = df[repeated].duplicated(keep="first").to_numpy()
    return pd.Series(exact, index=df.index), pd.Series(later & ~exact, index=df.index)


def code_to_id(values: pd.Series, pattern: str, offset: int = 0) -> pd.Series:
    """Integer id from a shop code: the first regex group minus ``offset``; ``<NA>`` if no match.

    ``code_to_id(s, r"^P(\\d{5})$")`` maps ``P00042`` → 42 (stock codes);
    ``code_to_id(s, r"^(\\d+)$", 10_000)`` maps customer ``10042`` → 42. Introduced in
    01_data_cleaning. The pattern runs on the distinct values only.
    """
    if re.compile(pattern).groups != 1:
        raise ValueError(f"pattern {pattern!r} must have exactly one capture group (the number)")
    codes, uniques = pd.factorize(values.astype("str").str.strip(), use_na_sentinel=True)
    digits = pd.Series(uniques, dtype="str").str.extract(pattern, expand=False)
    ids = pd.to_numeric(digits, errors="coerce").astype("Int64") - offset
    vals = np.append(ids.to_numpy(dtype="int64", na_value=0), 0)[codes]
    out = pd.arrays.IntegerArray(vals, np.append(ids.isna().to_numpy(), True)[codes])
    return pd.Series(out, index=values.index, name=values.name)


def extreme_threshold(quantity: pd.Series, quantile: float = 0.9, gap: float = 10.0) -> float:
    """Quantity above which an order line is a typing error, not an order (01_data_cleaning).

    Look at the distinct positive quantities from the ``quantile`` quantile up, in
    increasing order: genuine bulk orders climb in small steps, typing errors (12,540 or
    80,995 units) sit an order of magnitude above the rest. The threshold is the last
    value before the first jump by a factor of ``gap`` or more; ``inf`` if there is no
    such jump. Unlike a fixed quantile it does not depend on how many errors there are.
    """
    if not 0 <= quantile < 1 or gap <= 1:
        raise ValueError(f"need 0 <= quantile < 1 and gap > 1, got quantile={quantile}, gap={gap}")
    q = pd.to_numeric(pd.Series(quantity), errors="coerce").astype("float64")
    q = q[q > 0]
    if q.empty:
        raise ValueError("extreme_threshold needs at least one positive quantity")
    tail = np.unique(q[q >= q.quantile(quantile)].to_numpy())
    jumps = np.nonzero(tail[1:] >= gap * tail[:-1])[0]
    return float(tail[jumps[0]]) if len(jumps) else float("inf")


def bot_sessions(session: pd.Series, timestamp: pd.Series, max_events: int = 50, min_events: int = 20,
                 min_median_gap_s: float = 2.0) -> pd.Series:
    """Flag the events of inhuman sessions (01_data_cleaning).

    A session is a bot when it has ``max_events`` events or more (human sessions of the
    shop stay far below: 15 at most in the synthetic world), or when it has at least
    ``min_events`` events whose median gap between consecutive events is under
    ``min_median_gap_s`` seconds (nobody reads a product page in under two seconds, event
    after event).
    """
    if len(session) != len(timestamp):
        raise ValueError(f"session and timestamp differ in length: {len(session)} vs {len(timestamp)}")
    codes, _ = pd.factorize(session)
    size = np.bincount(codes[codes >= 0], minlength=codes.max() + 1 if len(codes) else 0)
    per_row = np.where(codes >= 0, size[np.maximum(codes, 0)] if len(size) else 0, 0)
    flag = per_row >= max_events
    busy = (per_row >= min_events) & ~flag
    if busy.any():
        sub = pd.DataFrame({"s": codes[busy], "t": pd.Series(timestamp).to_numpy()[busy]})
        sub = sub.sort_values(["s", "t"], kind="stable")
        gap = sub.groupby("s")["t"].diff().dt.total_seconds()
        med = gap.groupby(sub["s"]).median()
        fast = med.index[med < min_median_gap_s].to_numpy()
        flag |= busy & np.isin(codes, fast)
    return pd.Series(flag, index=session.index)
