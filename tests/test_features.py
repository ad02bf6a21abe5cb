"""Splits, labels and features (02): leakage on planted future rows, split properties, labels vs
orders, sequences, train-only vocabularies, determinism, real-data order tables, a baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit import labels as L
from labkit.features import (demand_features, demand_panel, event_log, event_sequences, history,
                             product_features, review_text_features, user_features)
from labkit.features.build import build_from_orders, intent_labels, sample_rows
from labkit.features.demand import plain_calendar
from labkit.features.text import product_text_features
from labkit.splits import (LABELLED_PARTS, assign_part, cold_start_products, course_split, cutoffs,
                           forecast_origins)

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def tables(quick_world) -> dict[str, pd.DataFrame]:
    return {n: quick_world.table(n) for n in S.OBSERVED_TABLES}


@pytest.fixture(scope="module")
def split(tables):
    return course_split(tables["calendar"])


# --- split -----------------------------------------------------------------------------------

def test_quick_split_dates_and_properties(split):
    assert split.history_start == pd.Timestamp("2023-01-02") and split.test_end == pd.Timestamp("2023-12-31")
    assert (split.train_start, split.train_end) == (pd.Timestamp("2023-02-27"), pd.Timestamp("2023-08-27"))
    assert (split.valid_start, split.valid_end) == (pd.Timestamp("2023-08-28"), pd.Timestamp("2023-10-22"))
    table = split.table().set_index(S.PART)
    assert list(table.index) == ["warmup", "train", "valid", "test"]
    assert (table["start"].iloc[1:].to_numpy() == (table["end"].iloc[:-1] + DAY).to_numpy()).all()  # contiguous
    assert table["days"].sum() == 364 and 0.18 <= table.loc["test", "share"] <= 0.22
    assert 0.13 <= table.loc["valid", "share"] <= 0.17
    test = pd.date_range(split.test_start, split.test_end)
    for day in ("2023-11-11", "2023-11-24", "2023-11-27", "2023-12-25"):  # 11.11, Black Friday, Cyber Monday, Christmas
        assert pd.Timestamp(day) in test


@pytest.mark.parametrize("part", LABELLED_PARTS)
def test_label_windows_stay_inside_their_part(split, part):
    start, end = split.bounds(part)
    for anchors, window in ((cutoffs(split, part), 7), (forecast_origins(split, part), 14)):
        assert len(anchors) > 0 and anchors.is_monotonic_increasing
        assert (anchors + DAY >= start).all() and (anchors + window * DAY <= end).all()
        assert anchors[-1] + window * DAY == end  # the last window ends on the part's last day
        assert (anchors[1:] - anchors[:-1] == 7 * DAY).all()
        parts = assign_part(anchors + DAY, split)
        assert set(parts) == {part}
    # cut-offs fall on the last day's weekday, so every label window is a full week
    assert set(cutoffs(split, part).day_of_week) == {split.test_end.day_of_week}


def test_assign_part_and_cold_start(split, tables):
    days = pd.Series(pd.to_datetime(["2022-12-31", "2023-01-02", "2023-02-27 13:00", "2023-10-22 23:59",
                                     "2023-10-23", "2024-01-01"], format="ISO8601"))
    assert list(assign_part(days, split)) == ["", "warmup", "train", "valid", "test", ""]
    assert assign_part(days, split, warmup_as_train=True)[1] == "train"
    cold = cold_start_products(tables["products"], split)
    assert len(cold) >= 1 and (cold[S.LAUNCH_DATE] >= split.test_start).all()


def test_split_errors():
    with pytest.raises(ValueError, match="test_frac"):
        course_split(pd.date_range("2023-01-01", periods=364), test_frac=1.5)
    with pytest.raises(ValueError, match="warmup_days"):
        course_split(pd.date_range("2023-01-01", periods=90))
    with pytest.raises(ValueError, match="part"):
        cutoffs(course_split(pd.date_range("2023-01-01", periods=364)), "warmup")


# --- labels ------------------------------------------------------------------------------------

def test_purchase_labels_agree_with_orders(tables, split):
    cut = cutoffs(split, "valid")[:2]
    lab = L.purchase_labels(tables["orders"], cut, tables["users"])
    users = tables["users"]
    for c in cut:
        rows = lab[lab[S.CUTOFF] == c]
        assert set(rows[S.USER_ID]) == set(users.loc[users[S.SIGNUP_DATE] <= c, S.USER_ID])
        o = tables["orders"]
        buyers = set(o.loc[(o[S.TIMESTAMP] >= c + DAY) & (o[S.TIMESTAMP] < c + 8 * DAY), S.USER_ID])
        assert set(rows.loc[rows[S.PURCHASE_NEXT_7D] == 1, S.USER_ID]) == buyers & set(rows[S.USER_ID])


def test_revenue_next_days_is_the_money_behind_the_label(tables, split):
    cut = cutoffs(split, "valid")[:2]
    lab = L.purchase_labels(tables["orders"], cut, tables["users"])
    revenue = L.revenue_next_days(tables["orders"], lab)
    assert np.array_equal(revenue > 0, lab[S.PURCHASE_NEXT_7D].to_numpy() == 1)  # same window, same lines
    o = tables["orders"]
    window = o[(o[S.TIMESTAMP] >= cut[0] + DAY) & (o[S.TIMESTAMP] < cut[0] + 8 * DAY)]
    members = lab.loc[lab[S.CUTOFF] == cut[0], S.USER_ID]
    window = window[window[S.USER_ID].isin(members)]
    expect = (window[S.QUANTITY] * window[S.UNIT_PRICE]).sum()
    assert revenue[(lab[S.CUTOFF] == cut[0]).to_numpy()].sum() == pytest.approx(expect, rel=1e-12)
    with pytest.raises(ValueError, match="horizon"):
        L.revenue_next_days(tables["orders"], lab, horizon=0)
    with pytest.raises(ValueError, match="rows"):
        L.revenue_next_days(tables["orders"], lab.drop(columns=[S.CUTOFF]))

def test_purchase_labels_match_the_truth_oracle(quick_world, tables, split):
    lab = L.purchase_labels(tables["orders"], cutoffs(split, "test"), tables["users"])
    truth = quick_world.truth("truth_user_days", columns=[S.DATE, S.USER_ID, S.P_PURCHASE_NEXT_7D])
    m = lab.merge(truth, left_on=[S.CUTOFF, S.USER_ID], right_on=[S.DATE, S.USER_ID], how="left")
    assert m[S.P_PURCHASE_NEXT_7D].notna().all()  # every labelled user exists in the truth that day
    assert abs(m[S.PURCHASE_NEXT_7D].mean() - m[S.P_PURCHASE_NEXT_7D].mean()) < 0.01


def test_demand_labels_agree_with_orders(tables, split):
    org = forecast_origins(split, "test")[:2]
    lab = L.demand_labels(tables["orders"], org, tables["products"])
    o = tables["orders"]
    for origin in org:
        rows = lab[lab[S.ORIGIN] == origin]
        window = o[(o[S.TIMESTAMP] >= origin + DAY) & (o[S.TIMESTAMP] < origin + 15 * DAY)]
        assert rows[S.UNITS].sum() == window[S.QUANTITY].sum()  # cancelled lines count as demand
        launched = tables["products"].loc[tables["products"][S.LAUNCH_DATE] <= origin, S.PRODUCT_ID]
        assert set(rows[S.PRODUCT_ID]) == set(launched) and len(rows) == 14 * len(launched)
    assert (o[S.STATUS] == "cancelled").any()


def test_review_message_and_cold_start_labels(tables, split):
    rev = L.review_labels(tables["reviews"], split)
    expect = np.select([rev[S.RATING] <= 2, rev[S.RATING] == 3], [0, 1], 2)
    assert (rev[S.SENTIMENT].to_numpy() == expect).all()
    assert set(rev[S.PART]) == {"train", "valid", "test"}  # the warm-up counts as train for texts
    msg = L.message_labels(tables["messages"], split)
    assert (np.asarray(S.INTENTS)[msg[S.INTENT_ID]] == msg[S.INTENT].to_numpy()).all()
    cold = L.cold_start_labels(tables["orders"], tables["products"], split)
    o = tables["orders"]
    for _, row in cold.iterrows():
        mask = (o[S.PRODUCT_ID] == row[S.PRODUCT_ID]) & (o[S.TIMESTAMP] < row[S.LAUNCH_DATE] + 28 * DAY)
        assert row[S.UNITS_28D] == o.loc[mask, S.QUANTITY].sum()
    assert "test" in set(cold[S.PART])
    with pytest.raises(ValueError, match="rating"):
        L.sentiment_of_rating(np.array([0, 3]))


# --- leakage: a planted future must not move any feature ------------------------------------------

@pytest.fixture(scope="module")
def planted(tables, split):
    """A small world slice with a cut-off c, and the same slice with every row after c removed or altered."""
    c = cutoffs(split, "train")[10]
    end = c + DAY
    users = tables["users"][tables["users"][S.USER_ID] < 300].copy()
    keep = set(users[S.USER_ID])
    full = {n: tables[n][tables[n][S.USER_ID].isin(keep)].copy() for n in ("events", "orders", "reviews")}
    full.update({n: tables[n] for n in ("products", "prices", "calendar")}, users=users)
    u = int(users.loc[users[S.SIGNUP_DATE] < c - 60 * DAY, S.USER_ID].iloc[0])
    o = full["orders"].iloc[[0, 0]].copy()  # an enormous order just after the cut-off, one exactly at its end
    o[S.USER_ID], o[S.QUANTITY], o[S.ORDER_ID] = u, [10_000, 5], [10**9, 10**9 + 1]
    o[S.TIMESTAMP] = [end + pd.Timedelta(hours=10), end]
    full["orders"] = pd.concat([full["orders"], o]).sort_values(S.TIMESTAMP, kind="stable", ignore_index=True)
    e = full["events"].iloc[[0, 0, 0]].copy()
    e[S.USER_ID], e[S.SESSION_ID] = u, full["events"][S.SESSION_ID].max() + 1
    e[S.EVENT_TYPE] = pd.Categorical(["add_to_cart", "purchase", "view"], categories=S.EVENT_TYPES)
    e[S.TIMESTAMP] = [end - pd.Timedelta(seconds=1), end, end + pd.Timedelta(hours=1)]  # 1st is history
    full["events"] = pd.concat([full["events"], e]).sort_values(S.TIMESTAMP, kind="stable", ignore_index=True)
    past = {n: history(df, c) for n, df in full.items() if n in ("events", "orders", "reviews")}
    past.update({n: full[n] for n in ("users", "products", "calendar")},
                prices=history(full["prices"], c, time_col=S.DATE))
    altered = {n: df.copy() for n, df in full.items()}
    later = {n: altered[n][S.TIMESTAMP] >= end for n in ("orders", "events", "reviews")}
    altered["orders"].loc[later["orders"], S.QUANTITY] *= 37
    altered["events"].loc[later["events"], S.EVENT_TYPE] = "add_to_cart"
    altered["reviews"].loc[later["reviews"], S.RATING] = 1
    altered["prices"].loc[altered["prices"][S.DATE] > c, S.DISCOUNT] = 0.4
    return {"c": c, "user": u, "full": full, "past": past, "altered": altered}


def _user(t, c):
    return user_features(t["orders"], [c], users=t["users"], events=t["events"], products=t["products"])


def test_user_features_ignore_the_future(planted):
    c, u = planted["c"], planted["user"]
    full = _user(planted["full"], c)
    pd.testing.assert_frame_equal(full, _user(planted["past"], c))
    pd.testing.assert_frame_equal(full, _user(planted["altered"], c))
    row = full[full[S.USER_ID] == u].iloc[0]
    assert row["n_add_to_cart_1d"] >= 1 and row["last_event_is_cart"] == 1  # the 23:59:59 event counts
    assert row["units_all"] < 10_000
    # positive control: removing that last history event changes the features
    t = dict(planted["past"])
    t["events"] = t["events"].iloc[:-1]
    assert not _user(t, c).equals(full)


def test_sequences_ignore_the_future(planted):
    c, u = planted["c"], planted["user"]
    pop = pd.DataFrame({S.CUTOFF: [c, c], S.USER_ID: [u, 0]})
    seqs = [event_sequences(event_log(t["events"], t["users"], t["products"]), pop, 16)
            for t in (planted["full"], planted["past"], planted["altered"])]
    for other in seqs[1:]:
        for k in seqs[0]:
            np.testing.assert_array_equal(seqs[0][k], other[k], err_msg=k)
    assert seqs[0]["event_type"][0, -1] == 3 and seqs[0]["hours_before"][0, -1] == 0  # the 23:59:59 cart


def test_demand_and_product_features_ignore_the_future(planted):
    c = planted["c"]
    frames = []
    for name in ("full", "past", "altered"):
        t = planted[name]
        prices = planted["full"]["prices"]  # planned prices are known in advance (see demand.py)
        panel = demand_panel(t["orders"], t["products"], prices, t["calendar"])
        frames.append((demand_features(panel, [c], products=t["products"]),
                       product_features([c], t["products"], t["orders"], t["prices"], t["events"], t["reviews"])))
    for d, p in frames[1:]:
        pd.testing.assert_frame_equal(frames[0][0], d)
        pd.testing.assert_frame_equal(frames[0][1], p)
    # without planned prices, the prices after the origin do not matter either
    f = planted["full"]
    a, b = (demand_features(demand_panel(f["orders"], f["products"], planted[k]["prices"], f["calendar"]), [c],
                            products=f["products"], planned_prices=False) for k in ("full", "altered"))
    pd.testing.assert_frame_equal(a, b)


def test_text_vocabulary_comes_from_train_only(tables, split):
    rev = tables["reviews"]
    tf = review_text_features(rev, split)
    n_train = int((rev[S.TIMESTAMP] < split.train_end + DAY).sum())
    assert tf.n_fit == n_train and tf.matrix.shape[0] == len(rev)
    planted = rev.copy()
    later = planted[S.TIMESTAMP] >= split.valid_start
    planted.loc[later, S.TEXT] = "zyzzyva quixotic " + planted.loc[later, S.TEXT]
    tf2 = review_text_features(planted, split)
    assert tf2.vocabulary == tf.vocabulary and "zyzzyva" not in tf2.vocabulary
    train_rows = np.nonzero(~later.to_numpy())[0]
    assert (tf.matrix[train_rows] != tf2.matrix[train_rows]).nnz == 0
    products = tables["products"].copy()
    new = products[S.LAUNCH_DATE] > split.train_end
    products.loc[new, S.DESCRIPTION] = "zyzzyva"
    assert "zyzzyva" not in product_text_features(products, split).vocabulary


# --- sequences, determinism, real data, baseline ----------------------------------------------------

@pytest.fixture(scope="module")
def quick_log(tables):
    return event_log(tables["events"], tables["users"], tables["products"])


def test_sequence_arrays(tables, split, quick_log):
    c = cutoffs(split, "valid")[0]
    users = tables["users"].loc[tables["users"][S.SIGNUP_DATE] <= c, S.USER_ID].to_numpy()[:400]
    pop = pd.DataFrame({S.CUTOFF: c, S.USER_ID: users})
    seqs = event_sequences(quick_log, pop, 64)
    mask = seqs["mask"].astype(bool)
    assert mask.shape == (len(users), 64) and all(seqs[k].shape == mask.shape for k in seqs if k not in
                                                    (S.USER_ID, S.CUTOFF))
    assert (np.diff(seqs["mask"].astype(int), axis=1) >= 0).all()  # left-padded
    assert ((seqs["event_type"] > 0) == mask).all() and (seqs["product"][~mask] == 0).all()
    hours = np.where(mask, seqs["hours_before"], 10**6)
    assert (np.diff(hours, axis=1) <= 0).all()  # later events are closer to the cut-off
    ev = tables["events"]
    for i in (0, 7, 123):
        mine = ev[(ev[S.USER_ID] == users[i]) & (ev[S.TIMESTAMP] < c + DAY)].tail(64)
        codes = pd.Categorical(mine[S.EVENT_TYPE], categories=S.EVENT_TYPES).codes + 1
        np.testing.assert_array_equal(seqs["event_type"][i][mask[i]], codes)
        np.testing.assert_array_equal(seqs["product"][i][mask[i]], mine[S.PRODUCT_ID].to_numpy() + 1)
    for flag in ("seen_before", "carted_before", "same_session", "same_category"):
        assert set(np.unique(seqs[flag][mask])) <= {0, 1} and seqs[flag][mask].mean() > 0.01


def test_features_are_deterministic(tables, split, quick_log):
    cut = cutoffs(split, "test")[:2]
    a = user_features(tables["orders"], cut, users=tables["users"], products=tables["products"], log=quick_log)
    b = user_features(tables["orders"], cut, users=tables["users"], events=tables["events"],
                      products=tables["products"])
    pd.testing.assert_frame_equal(a, b)
    panel = demand_panel(tables["orders"], tables["products"], tables["prices"], tables["calendar"])
    org = forecast_origins(split, "test")
    pd.testing.assert_frame_equal(demand_features(panel, org, products=tables["products"]),
                                  demand_features(panel, org, products=tables["products"]))
    keys = intent_labels(tables, split)
    m1, m2 = sample_rows(keys, 50_000), sample_rows(keys.sample(frac=1, random_state=1), 50_000)
    assert abs(m1.sum() - 50_000) < 2_000 and m1.sum() == m2.sum()  # the sample ignores row order


def _real_orders(seed: int = 0, n: int = 4000) -> pd.DataFrame:
    """An order-line table shaped like the cleaned UCI Online Retail: string product ids, no events."""
    rng = np.random.default_rng(seed)
    ts = (pd.Timestamp("2010-12-01") + pd.to_timedelta(rng.integers(0, 374, n), unit="D")
          + pd.to_timedelta(rng.integers(8 * 3600, 18 * 3600, n), unit="s"))
    users = rng.integers(12_000, 12_400, n)
    return pd.DataFrame({
        S.USER_ID: users,
        S.PRODUCT_ID: np.array(["85123A", "71053", "84406B", "22423", "21730"])[rng.integers(0, 5, n)],
        S.ORDER_ID: (users * 1000 + rng.integers(0, 30, n)).astype(str), S.QUANTITY: rng.integers(1, 13, n),
        S.UNIT_PRICE: rng.uniform(0.4, 9.0, n).round(2), S.TIMESTAMP: ts, S.COUNTRY: "United Kingdom",
        S.STATUS: "completed"}).sort_values(S.TIMESTAMP, ignore_index=True)


def test_order_table_without_events():
    orders = _real_orders()
    out = build_from_orders(orders)
    uf, dem, lab = out["user_features"], out["demand_features"], out["intent_labels"]
    assert len(uf) == len(lab) and not any(c.startswith(("n_view", "n_sessions", "days_since_view")) for c in uf)
    assert {"days_since_last_order", "n_orders_30d", "spend_all"} <= set(uf.columns)
    assert dem[S.PRODUCT_ID].map(type).eq(str).all() and dem[S.UNITS].notna().all()
    assert "price_last" in dem and "discount_target" not in dem  # no price plan without a prices table
    # leakage on the order table too: a huge order the day after the cut-off changes nothing
    c = pd.Timestamp("2011-06-05")
    future = orders.iloc[[0]].assign(**{S.TIMESTAMP: c + pd.Timedelta(hours=30), S.QUANTITY: 10**6})
    with_future = pd.concat([orders, future], ignore_index=True)
    pd.testing.assert_frame_equal(user_features(orders, [c]), user_features(with_future, [c]))
    days = pd.date_range(orders[S.TIMESTAMP].min().normalize(), with_future[S.TIMESTAMP].max().normalize())
    past = orders.loc[orders[S.TIMESTAMP] < c + DAY]
    a, b = (demand_features(demand_panel(o, calendar=plain_calendar(days)), [c]) for o in (past, with_future))
    pd.testing.assert_frame_equal(a, b)


def test_clear_errors(tables):
    with pytest.raises(ValueError, match="orders: missing column"):
        user_features(tables["orders"].drop(columns=[S.QUANTITY]), ["2023-05-01"])
    with pytest.raises(ValueError, match="names"):
        from labkit.features import build_features
        build_features(None, "quick", names=["nope"])


def test_logistic_baseline_on_user_features(tables, split, quick_log):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lab = intent_labels(tables, split)
    uf = user_features(tables["orders"], lab[S.CUTOFF], users=tables["users"], products=tables["products"],
                       population=lab[[S.CUTOFF, S.USER_ID]], log=quick_log)
    uf = lab[[S.CUTOFF, S.USER_ID]].merge(uf, on=[S.CUTOFF, S.USER_ID], how="left")
    x = uf.drop(columns=[S.CUTOFF, S.USER_ID]).to_numpy(np.float64)
    x = np.sign(x) * np.log1p(np.abs(x))
    y = lab[S.PURCHASE_NEXT_7D].to_numpy()
    tr, te = (lab[S.PART] == "train").to_numpy(), (lab[S.PART] == "test").to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(x[tr], y[tr])
    auc = roc_auc_score(y[te], model.predict_proba(x[te])[:, 1])
    print(f"purchase-in-7-days logistic regression on user features, quick test ROC-AUC = {auc:.3f}")
    assert auc > 0.65


def test_build_and_load_round_trip(quick_world, monkeypatch, tmp_path, capsys):
    from labkit.artifacts import ArtifactStore
    from labkit.features import build as B

    monkeypatch.setattr(B, "feature_store", lambda name, seed=0: ArtifactStore(name, seed, root=tmp_path))
    names = ["split", "intent_labels", "user_features", "sequences", "demand_features", "product_text"]
    paths = B.build_features(quick_world, "quick", names=names)
    assert sorted(paths) == sorted(names) and all(p.exists() for p in paths.values())
    lab, uf = B.load_features("quick", "intent_labels"), B.load_features("quick", "user_features")
    seq = B.load_features("quick", "sequences")
    assert (lab[S.USER_ID].to_numpy() == uf[S.USER_ID].to_numpy()).all() and (seq[S.USER_ID] == lab[S.USER_ID]).all()
    assert (lab[S.CUTOFF].to_numpy() == uf[S.CUTOFF].to_numpy()).all()
    assert (pd.DatetimeIndex(seq[S.CUTOFF].astype("datetime64[ns]")) == pd.DatetimeIndex(lab[S.CUTOFF])).all()
    assert set(lab[S.PART]) == set(LABELLED_PARTS) and B.load_features("quick", "split").test_end.month == 12
    dem = B.load_features("quick", "demand_features")
    assert dem[S.UNITS].notna().all() and set(dem[S.PART]) == set(LABELLED_PARTS)
    assert not (tmp_path / "artifacts" / "quick" / "synthetic-seed0" / "features" / "image_features.parquet").exists()
    capsys.readouterr()
    assert len(B.load_features("quick", "image_features")) == 40  # a missing artifact is built on demand ...
    assert capsys.readouterr().out == (  # ... and says so in one line
        "building 02's features/image_features for quick/synthetic-seed0: not found\n")
    with pytest.raises(FileNotFoundError, match="features/product_features for quick/synthetic-seed0: not found; "
                                                "run notebooks/02_feature_extraction.ipynb"):
        B.load_features("quick", "product_features", strict=True)
    with pytest.raises(ValueError, match="name"):
        B.load_features("quick", "nope")


def test_text_features_when_no_text_appears_after_train():
    """A world where every product launched before train ends: the TF-IDF still builds."""
    from labkit.features.text import fit_transform_train_only
    from labkit.splits import course_split

    split = course_split(pd.date_range("2024-01-01", periods=364))
    df = pd.DataFrame({"id": [1, 2, 3], "text": ["red shirt", "blue shirt", "red mug"],
                       "t": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"])})
    tf = fit_transform_train_only(df, "text", "id", "t", split, min_df=1)
    assert tf.matrix.shape[0] == 3 and tf.n_fit == 3
