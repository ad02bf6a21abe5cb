"""Unit tests of the named cleaning rules (labkit.cleaning.rules and .text): pure, no world needed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from labkit.cleaning import (CleaningResult, Triage, blank, bot_sessions, canonical_label, clean_text, code_to_id,
                             duplicate_flags, extreme_threshold, is_test_account, label_mapping, parse_integer,
                             parse_price, parse_timestamp, read_raw_file, text_faults)

S = pd.Series


def test_parse_price_formats_and_blank():
    out = parse_price(S(["£1,234.50", "1234.50 GBP", " 1,234.50 ", "", "55.20", "-11062.06", "0.00", None]),
                      "UnitPrice")
    assert out.dtype == "float64"
    assert out.iloc[:3].tolist() == [1234.5] * 3
    assert math.isnan(out.iloc[3]) and math.isnan(out.iloc[7])
    assert out.iloc[4:7].tolist() == [55.2, -11062.06, 0.0]


@pytest.mark.parametrize("bad", ["abc", "12,50", "1.2.3", "£"])
def test_parse_price_error_names_the_column(bad):
    with pytest.raises(ValueError, match="UnitPrice"):
        parse_price(S(["1.00", bad]), "UnitPrice")
    assert parse_price(S(["1.00", bad]), "UnitPrice", errors="coerce").isna().tolist() == [False, True]


def test_parse_integer():
    assert parse_integer(S(["42", "-7", "007"])).tolist() == [42, -7, 7]  # fast path
    out = parse_integer(S([" 12 ", "+3", "", None]), "Quantity")
    assert str(out.dtype) == "Int64" and out.tolist()[:2] == [12, 3] and out.isna().tolist()[2:] == [True, True]
    with pytest.raises(ValueError, match="Quantity"):
        parse_integer(S(["1", "1.5"]), "Quantity")
    with pytest.raises(ValueError, match="errors"):
        parse_integer(S(["1"]), errors="ignore")


def test_parse_timestamp_mixed_formats_to_naive_utc():
    want = pd.Timestamp("2023-01-02 00:28:23")
    values = ["2023-01-02 00:28:23", "02/01/2023 00:28:23", "2023-01-02T01:28:23+01:00",
              "2023-01-01T19:28:23-05:00", "2023-01-02T05:58:23+05:30", "2023-01-02T00:28:23Z",
              " 2023-01-02 00:28:23 "]
    out = parse_timestamp(S(values), "InvoiceDate")
    assert out.dtype == "datetime64[us]" and (out == want).all()
    dates = parse_timestamp(S(["2023-04-03", "03/04/2023", ""]), unit="ms")
    assert dates.dtype == "datetime64[ms]"
    assert dates.iloc[0] == dates.iloc[1] == pd.Timestamp("2023-04-03")  # slashes are day first
    assert pd.isna(dates.iloc[2])


def test_parse_timestamp_error_names_the_column():
    with pytest.raises(ValueError, match="InvoiceDate"):
        parse_timestamp(S(["2023-01-02 00:00:00", "31/02/2023 10:00:00", "yesterday"]), "InvoiceDate")
    out = parse_timestamp(S(["yesterday", "2023-13-01"]), "InvoiceDate", errors="coerce")
    assert out.isna().all()


def test_canonical_label_variants_typos_and_unknowns():
    vocab = ("view", "click", "add_to_cart", "remove_from_cart", "purchase")
    raw = S(["ADD_TO_CART", " Add_To_Cart", "add-to-cart", "View", "VIEW ", "purchase", "purchsae", "bogus", "", None])
    out = canonical_label(raw, vocab)
    assert out.tolist()[:7] == ["add_to_cart"] * 3 + ["view"] * 2 + ["purchase"] * 2
    assert out.iloc[7:].isna().all()  # unknown or blank: NaN, for the caller to quarantine
    regions = ("north", "south", "east", "west", "international")
    assert canonical_label(S(["souht", "wets", "internatioanl", "SOUTH", " South"]), regions).tolist() == \
        ["south", "west", "international", "south", "south"]
    cats = ("tops", "bottoms", "shoes", "bags", "home", "electronics")
    assert canonical_label(S(["tosp", "shose", "basg", "hoem", "electronisc"]), cats).tolist() == \
        ["tops", "shoes", "bags", "home", "electronics"]
    # a tie between two labels is never guessed
    assert label_mapping(["ab"], ["abc", "abd"])["ab"] is None
    with pytest.raises(ValueError, match="vocabulary"):
        canonical_label(S(["x"]), [])


def test_clean_text_repairs_and_leaves_clean_text_alone():
    clean = ["It's great, 10/10!", "Size is about right.  Two spaces stay.", "  padded  ", "",
             "café au lait", "M&S and <3 hearts"]
    out = clean_text(S(clean))
    assert out.tolist() == clean  # already-clean text is returned byte for byte
    dirty = S(["<p>It&#x27;s &quot;fine&quot; &amp; good</p>", "<b>Hi there</b><br/>", "Love it 😍",
               "Itâ€™s great", "Great 👍 buy ✨", None])
    assert clean_text(dirty).tolist()[:5] == ['It\'s "fine" & good', "Hi there", "Love it", "It's great",
                                              "Great buy"]
    assert pd.isna(clean_text(dirty).iloc[5])
    faults = text_faults(dirty)
    assert faults["html_in_text"].tolist() == [True, True, False, False, False, False]
    assert faults["emoji_in_text"].tolist() == [False, False, True, False, True, False]
    assert faults["mojibake"].tolist() == [False, False, False, True, False, False]


def test_duplicate_flags_keep_first_occurrence():
    df = pd.DataFrame({"id": ["1", "2", "1", "3", "2", "1"], "v": ["a", "b", "a", "c", "x", "y"]})
    exact, conflicting = duplicate_flags(df, "id")
    assert exact.tolist() == [False, False, True, False, False, False]
    assert conflicting.tolist() == [False, False, False, False, True, True]
    e2, c2 = duplicate_flags(df, "id", key_values=df["id"].astype(int))
    assert e2.tolist() == exact.tolist() and c2.tolist() == conflicting.tolist()
    with pytest.raises(ValueError, match="nope"):
        duplicate_flags(df, "nope")


def test_code_to_id_and_blank():
    assert code_to_id(S(["P00042", "POST", "P1", "", None]), r"^P(\d{5})$").tolist()[0] == 42
    assert code_to_id(S(["P00042", "POST", "P1", "", None]), r"^P(\d{5})$").isna().tolist() == \
        [False, True, True, True, True]
    assert code_to_id(S(["10042", " 10000 "]), r"^(\d+)$", 10_000).tolist() == [42, 0]
    with pytest.raises(ValueError, match="capture group"):
        code_to_id(S(["1"]), r"^\d+$")
    assert blank(S(["", "  ", None, "x"])).tolist() == [True, True, True, False]


def test_extreme_threshold_separates_typos_from_bulk_orders():
    rng = np.random.default_rng(0)
    genuine = 1 + rng.geometric(0.4, 20_000)
    genuine[:5] = [40, 55, 68, 80, 120]  # bulk buyers
    q = S(np.concatenate([genuine, [12540, 74215, 80995]]))
    limit = extreme_threshold(q)
    assert genuine.max() <= limit < 12540
    assert extreme_threshold(S(genuine)) == math.inf  # no typo, no threshold
    # many typos (here 1 %) do not hide each other, unlike a fixed quantile
    assert extreme_threshold(S(np.concatenate([genuine, np.full(300, 80995)]))) < 12540
    with pytest.raises(ValueError, match="gap"):
        extreme_threshold(q, gap=1.0)


def test_bot_sessions():
    t0 = pd.Timestamp("2023-03-01 10:00:00")
    human = [(1, t0 + pd.Timedelta(seconds=40 * i)) for i in range(14)]
    long_bot = [(2, t0 + pd.Timedelta(seconds=i)) for i in range(60)]
    fast_bot = [(3, t0 + pd.Timedelta(seconds=i)) for i in range(25)]
    fast_short = [(4, t0 + pd.Timedelta(seconds=i)) for i in range(10)]  # too few events to judge
    rows = human + long_bot + fast_bot + fast_short
    flags = bot_sessions(S([s for s, _ in rows]), S([t for _, t in rows]))
    by_session = pd.Series(flags.to_numpy()).groupby([s for s, _ in rows]).agg(["all", "any"])
    assert by_session["any"].tolist() == [False, True, True, False]
    assert by_session.loc[[2, 3], "all"].all()


def test_is_test_account():
    customers = pd.DataFrame({"Email": ["a@mail.example", "qa0@shop-internal.test", "b@mail.example"],
                              "Segment": ["regular", "internal", " Internal "]})
    assert is_test_account(customers).tolist() == [False, True, True]
    with pytest.raises(ValueError, match="Segment"):
        is_test_account(customers[["Email"]])


def test_read_raw_file_keeps_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('id,price,note\n007,1.50,"a, b"\n8,,\n')
    df = read_raw_file(path)
    assert df.to_dict("list") == {"id": ["007", "8"], "price": ["1.50", ""], "note": ["a, b", ""]}
    assert all(str(t) == "str" for t in df.dtypes)
    jl = tmp_path / "x.jsonl"
    jl.write_text('{"id": 7, "p": 1.50, "n": null}\n')
    assert read_raw_file(jl).iloc[0].tolist() == ["7", "1.50", ""]
    with pytest.raises(ValueError, match="does not exist"):
        read_raw_file(tmp_path / "missing.csv")


def test_triage_and_accounting():
    raw = pd.DataFrame({"a": ["1", "2", "3"]})
    tri = Triage("t", raw)
    tri.flag(np.array([False, True, False]), "odd", "test rule")
    tri.flag(np.array([False, True, True]), "later", "second rule")  # row 1 keeps its first reason
    tri.repair(np.array([True, False, True]), "fixed", "repaired")
    res = tri.result(raw.iloc[[0]])
    assert res.quarantine["reason"].tolist() == ["odd", "later"]
    assert res.repaired == {"fixed": [0]}  # row 2 ended in quarantine
    with pytest.raises(ValueError, match="flags 2 rows"):
        tri.flag(np.array([True, False]), "bad", "wrong length")
    broken = CleaningResult("t", 3, raw.iloc[[0]], res.quarantine.iloc[:1])
    with pytest.raises(ValueError, match="3 raw rows"):
        broken.check_accounting()
