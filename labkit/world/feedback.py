"""Reviews (text composed from aspect sentiments) and support messages (intent linked to orders).

Reviews feed 04's sentiment models and messages its intent classifier; the truth keeps
each review's aspect sentiments and rating noise. Introduced in 00_data_tour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .catalog import Catalog
from .journeys import JourneyLog
from .messages import compose_messages
from .orders import invoice_number
from .reviews import compose_reviews
from .users import Population

ASPECT_WEIGHTS = np.array([1.0, 0.8, 0.6, 0.5, 0.6])  # quality, fit, delivery, price, looks
RATING_NOISE = 0.35


def _days(ts: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((ts - start) // pd.Timedelta(days=1)).to_numpy()


def build_reviews(rng: np.random.Generator, orders: pd.DataFrame, line_truth: pd.DataFrame, cat: Catalog,
                  pop: Population, start: pd.Timestamp, n_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample which delivered lines get a review, their aspect sentiments, rating and text."""

    delivered = orders[S.STATUS].to_numpy() != "cancelled"
    bad = (orders[S.STATUS].to_numpy() == "returned") | (line_truth["late_days"].to_numpy() > 0)
    p = np.where(delivered, 0.10 + 0.15 * bad, 0.0)
    pick = np.nonzero(rng.random(len(orders)) < p)[0]
    day = _days(orders[S.DELIVERED_DATE].iloc[pick], start) + 1 + rng.poisson(4, len(pick))
    keep = day < n_days  # reviews written after the world ends are not observed
    pick, day = pick[keep], day[keep]
    o, t = orders.iloc[pick], line_truth.iloc[pick]
    prod = o[S.PRODUCT_ID].to_numpy()
    user = o[S.USER_ID].to_numpy()
    tp = cat.truth.iloc[prod]
    q = tp["quality"].to_numpy()
    dmg = t["damaged"].to_numpy()
    m = len(pick)
    noise = lambda s: rng.normal(0, s, m)  # noqa: E731
    fit_ok = t["size_ok"].to_numpy()
    apparel = cat.category[prod] <= 2
    sent = np.column_stack([
        0.9 * q + noise(0.5) - 1.5 * dmg,
        np.where(fit_ok, 0.8, -1.3) + noise(0.5),
        0.8 - 0.6 * t["late_days"].to_numpy() - 1.0 * dmg + noise(0.5),
        0.3 + 3.0 * t["discount"].to_numpy() - 0.5 * (pop.price_sens[user] - 1) + 0.2 * q + noise(0.6),
        0.5 + 0.8 * tp["trendy_shade"].to_numpy() + 0.3 * (tp[S.PATTERN].to_numpy() == "striped") + noise(0.6),
    ]).clip(-2, 2)
    score = np.abs(sent * ASPECT_WEIGHTS) + 0.3 * rng.gumbel(size=sent.shape)
    score[:, 1] = np.where(apparel, score[:, 1], -np.inf)  # fit only for clothes and shoes
    k = rng.choice([1, 2, 3], m, p=[0.35, 0.45, 0.2])
    rank = np.argsort(np.argsort(-score, axis=1), axis=1)
    mentioned = rank < k[:, None]
    latent = 3.6 + 0.9 * (sent * ASPECT_WEIGHTS * mentioned).sum(axis=1)
    eps = rng.normal(0, RATING_NOISE, m)
    rating = np.clip(np.round(latent + eps), 1, 5).astype(np.int8)
    names = cat.products[S.SUBCATEGORY].to_numpy()[prod]
    texts = compose_reviews(rng, sent, mentioned, list(names), weights=ASPECT_WEIGHTS)
    ts = start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(rng.integers(28800, 82800, m), unit="s")
    order = np.argsort(ts.to_numpy(), kind="stable")
    rid = np.arange(m, dtype=np.int64)
    reviews = pd.DataFrame({
        S.REVIEW_ID: rid, S.USER_ID: user[order], S.PRODUCT_ID: prod[order],
        S.ORDER_ID: o[S.ORDER_ID].to_numpy()[order], S.TIMESTAMP: ts[order],
        S.RATING: rating[order], S.TEXT: np.asarray(texts.texts, dtype=object)[order],
    })
    truth = pd.DataFrame({
        S.REVIEW_ID: rid, S.LINE_ID: o[S.LINE_ID].to_numpy()[order],
        **{f"sentiment_{a}": sent[order, i] for i, a in enumerate(S.ASPECTS)},
        **{f"mentioned_{a}": mentioned[order, i] for i, a in enumerate(S.ASPECTS)},
        "rating_expected": np.clip(latent[order], 1, 5), "rating_noise": eps[order],
        "rating_noise_free": np.clip(np.round(latent[order]), 1, 5).astype(np.int8),
        "has_negation": texts.has_negation[order], "has_contrast": texts.has_contrast[order],
    })
    return reviews, truth


def build_messages(rng: np.random.Generator, orders: pd.DataFrame, line_truth: pd.DataFrame, cat: Catalog,
                   log: JourneyLog, start: pd.Timestamp, n_days: int) -> pd.DataFrame:
    """Support messages triggered by what happened: late parcels, returns, cancellations, questions."""

    first = ~orders[S.ORDER_ID].duplicated().to_numpy()
    st = orders[S.STATUS].to_numpy()
    late = line_truth["late_days"].to_numpy() > 0
    odays = _days(orders[S.TIMESTAMP], start)
    prom = _days(orders[S.PROMISED_DATE], start)
    deliv = np.nan_to_num(_days(orders[S.DELIVERED_DATE], start).astype(float), nan=-1).astype(int)
    apparel = cat.category[orders[S.PRODUCT_ID].to_numpy()] <= 2
    size_bad = ~line_truth["size_ok"].to_numpy()
    dmg = line_truth["damaged"].to_numpy()
    n = len(orders)
    rules = [  # (intent, which lines, probability, day of the message)
        ("order_status", first & late, 0.4, prom + 1),
        ("cancel_order", first & (st == "cancelled"), 0.6, odays),
        ("payment_problem", first, 0.006, odays),
        ("size_question", apparel & size_bad & (st != "cancelled"), 0.25, deliv + 1),
        ("return_refund", (st == "returned") & ~dmg, 0.35, deliv + 3),
        ("damaged_delivery", dmg & (st != "cancelled"), 0.7, deliv),
    ]
    rows: list[tuple[np.ndarray, ...]] = []
    for intent, mask, p, day in rules:
        hit = np.nonzero(mask & (rng.random(n) < p))[0]
        rows.append((np.full(len(hit), intent, dtype=object), orders[S.USER_ID].to_numpy()[hit],
                     orders[S.ORDER_ID].to_numpy()[hit], orders[S.PRODUCT_ID].to_numpy()[hit], day[hit]))
    q = log.questions
    rows.append((np.full(len(q["user"]), "product_question", dtype=object), q["user"],
                 np.full(len(q["user"]), -1), q["product"], q["day"]))
    n_users = int(log.states.shape[1])
    n_acc = rng.poisson(n_users * n_days * 0.0002)
    rows.append((np.full(n_acc, "account_help", dtype=object), rng.integers(0, n_users, n_acc),
                 np.full(n_acc, -1), np.full(n_acc, -1), rng.integers(0, n_days, n_acc)))
    intent, user, oid, pid, day = (np.concatenate(c) for c in zip(*rows))
    active = log.states[np.clip(day, 0, n_days - 1), user] >= 0
    keep = (day >= 0) & (day < n_days) & active  # messages after the world ends are not observed
    intent, user, oid, pid, day = intent[keep], user[keep], oid[keep], pid[keep], day[keep]
    secs = rng.integers(25200, 82800, len(day))
    order = np.lexsort((secs, day))
    intent, user, oid, pid, day, secs = (a[order] for a in (intent, user, oid, pid, day, secs))
    ref = [f"#{r}" if o >= 0 else None for r, o in zip(invoice_number(np.maximum(oid, 0)), oid)]
    names = np.where(pid >= 0, cat.products[S.SUBCATEGORY].to_numpy()[np.maximum(pid, 0)], "item")
    texts = compose_messages(rng, intent.astype(str), ref, list(names))
    return pd.DataFrame({
        S.MESSAGE_ID: np.arange(len(day), dtype=np.int64), S.USER_ID: user.astype(np.int32),
        S.TIMESTAMP: start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(secs, unit="s"),
        S.ORDER_ID: pd.Series(oid, dtype="Int64").mask(oid < 0),
        S.PRODUCT_ID: pd.Series(pid, dtype="Int32").mask(pid < 0),
        S.TEXT: texts, S.INTENT: intent.astype(str),
    })
