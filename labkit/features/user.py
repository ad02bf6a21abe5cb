"""User features at purchase-intent cut-offs: RFM, behaviour windows, sessions, affinities.

``user_features(orders, cutoffs, users=..., events=..., products=...)`` returns one row per
(cut-off, user) with only what was known at the end of the cut-off day. It works on the
synthetic world and on a real order-line table (user_id, product_id, order_id, quantity,
unit_price, timestamp, ...): without ``events`` the clickstream features are skipped,
without ``users`` the population is every customer with an order before the cut-off's
end. Introduced in 02_feature_extraction; the tabular input of 03's baselines and 05.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import as_days, check_order_lines, require
from .asof import Timeline, cutoff_end
from .common import category_codes, codes_of, days_between, one_hot, sorted_index
from .eventlog import EventLog, build_event_log
from .user_events import EventState, event_features

ORDER_WINDOWS = (7, 30, 90)
STATIC_COLUMNS = (S.SEGMENT, S.DEVICE, S.REGION, S.AGE_BAND)
KEYS = [S.CUTOFF, S.USER_ID]
NOT_YET = np.iinfo(np.int64).max


class OrderState:
    """Order lines coded once, with running lifetime totals per user (RFM)."""

    def __init__(self, orders: pd.DataFrame, user_index: pd.Index):
        code = codes_of(user_index, orders[S.USER_ID])
        lines = orders.loc[code >= 0]
        df = pd.DataFrame({
            "u": code[code >= 0],
            "o": pd.factorize(lines[S.ORDER_ID])[0],
            "p": pd.factorize(lines[S.PRODUCT_ID])[0],
            "q": lines[S.QUANTITY].to_numpy(np.float64),
            "v": (lines[S.QUANTITY] * lines[S.UNIT_PRICE]).to_numpy(np.float64),
            S.TIMESTAMP: lines[S.TIMESTAMP].to_numpy(),
        })
        self.timeline = tl = Timeline(df)
        d = tl.df
        self.u, self.q, self.v = d["u"].to_numpy(np.int64), d["q"].to_numpy(), d["v"].to_numpy()
        # an order counts from its first line; a product counts from the user's first line of it
        self.first_line = ~d[["u", "o"]].duplicated().to_numpy()
        p = d["p"].to_numpy(np.int64)
        self.first_product = ~pd.Series(self.u * (int(p.max(initial=0)) + 1) + p).duplicated().to_numpy()
        n = len(user_index)
        self.n = n
        self.done = 0
        self.orders = np.zeros(n)
        self.units = np.zeros(n)
        self.spend = np.zeros(n)
        self.products = np.zeros(n)
        self.first_ns = np.full(n, NOT_YET, dtype=np.int64)
        self.last_ns = np.full(n, -1, dtype=np.int64)

    def advance(self, hi: int) -> None:
        """Fold in order lines [done, hi) into the lifetime totals."""
        sl, n = slice(self.done, hi), self.n
        u, t = self.u[sl], self.timeline.time_ns[sl]
        self.orders += np.bincount(u, self.first_line[sl], n)
        self.units += np.bincount(u, self.q[sl], n)
        self.spend += np.bincount(u, self.v[sl], n)
        self.products += np.bincount(u, self.first_product[sl], n)
        np.maximum.at(self.last_ns, u, t)
        np.minimum.at(self.first_ns, u, t)
        self.done = hi

    def features(self, cutoff: object) -> dict[str, np.ndarray]:
        """RFM and order windows of every user at ``cutoff``."""
        tl, n = self.timeline, self.n
        _, hi = tl.bounds(cutoff)
        self.advance(hi)
        end = cutoff_end(cutoff).as_unit("ns").value
        out = {
            "days_since_last_order": days_between(end, self.last_ns),
            "days_since_first_order": days_between(end, np.where(self.first_ns == NOT_YET, -1, self.first_ns)),
            "n_orders_all": self.orders.astype(np.float32),
            "units_all": self.units.astype(np.float32),
            "spend_all": self.spend.astype(np.float32),
            "avg_order_value": (self.spend / np.maximum(self.orders, 1)).astype(np.float32),
            "n_products_ordered_all": self.products.astype(np.float32),
        }
        for w in ORDER_WINDOWS:
            lo, _ = tl.bounds(cutoff, days=w)
            sl = slice(lo, hi)
            out[f"n_orders_{w}d"] = np.bincount(self.u[sl], self.first_line[sl], n).astype(np.float32)
            out[f"spend_{w}d"] = np.bincount(self.u[sl], self.v[sl], n).astype(np.float32)
        return out


def _population(cutoff: pd.Timestamp, signup: np.ndarray | None, orders: OrderState,
                given: dict[pd.Timestamp, np.ndarray] | None) -> np.ndarray:
    """User codes to describe at ``cutoff``: given rows, else signed up by it, else with an order."""
    if given is not None:
        return given.get(cutoff, np.zeros(0, dtype=np.int64))
    if signup is not None:
        return np.nonzero(signup < cutoff_end(cutoff).to_datetime64())[0]
    return np.nonzero(orders.first_ns != NOT_YET)[0]


def user_features(orders: pd.DataFrame, cutoffs: object, users: pd.DataFrame | None = None,
                  events: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
                  population: pd.DataFrame | None = None, log: EventLog | None = None) -> pd.DataFrame:
    """One row per (cut-off, user) with every user feature known at the end of the cut-off day.

    ``population`` (columns cutoff, user_id) restricts the rows, e.g. to the labelled ones;
    by default every user signed up by the cut-off (or, without ``users``, every user with
    an order before its end). ``log`` (an :class:`EventLog` of ``events``, users and
    products) saves rebuilding it. Rows are sorted by cut-off and user_id; features are float32.
    """
    cut = as_days(cutoffs)
    orders = check_order_lines(orders)
    if users is not None:
        require(users, [S.USER_ID], "users")
    user_index = sorted_index(users[S.USER_ID] if users is not None else orders[S.USER_ID])
    ostate = OrderState(orders, user_index)
    estate = None
    if log is None and events is not None:
        pidx = sorted_index(products[S.PRODUCT_ID]) if products is not None else sorted_index(events[S.PRODUCT_ID])
        cat, names = category_codes(products, pidx)
        log = build_event_log(events, user_index, pidx, cat, names)
    if log is not None:
        if not log.user_index.equals(user_index):
            raise ValueError("log: its users differ from those of users/orders; build it with the same users table")
        estate = EventState(log)
    static = _static(users, user_index)
    given = None
    if population is not None:
        require(population, KEYS, "population")
        pc = as_days(population[S.CUTOFF], "population.cutoff")
        cut = pc
        codes = user_index.get_indexer(population[S.USER_ID])
        if (codes < 0).any():
            raise ValueError(f"population: {(codes < 0).sum()} user_id(s) unknown to orders/users")
        day = pd.DatetimeIndex(population[S.CUTOFF]).as_unit("ns").normalize()
        given = {c: np.sort(codes[day == c]) for c in pc}
    signup = None
    if users is not None and S.SIGNUP_DATE in users.columns:
        signup = users.set_index(S.USER_ID)[S.SIGNUP_DATE].reindex(user_index).to_numpy()
    frames = []
    for c in cut:
        feats = ostate.features(c)
        if estate is not None:
            feats.update(event_features(estate, c))
        rows = _population(c, signup, ostate, given)
        frame = pd.DataFrame({k: v[rows] for k, v in feats.items()})
        if signup is not None:
            frame.insert(0, "tenure_days", ((cutoff_end(c).to_datetime64() - signup[rows])
                                            / np.timedelta64(1, "D")).astype(np.float32))
        if static is not None:
            frame = pd.concat([frame, static.iloc[rows].reset_index(drop=True)], axis=1)
        frame.insert(0, S.USER_ID, user_index[rows])
        frame.insert(0, S.CUTOFF, c)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _static(users: pd.DataFrame | None, user_index: pd.Index) -> pd.DataFrame | None:
    """One-hot profile columns (segment, device, region, age band) in user_index order."""
    if users is None:
        return None
    cols = [c for c in STATIC_COLUMNS if c in users.columns]
    if not cols:
        return None
    u = users.drop_duplicates(S.USER_ID).set_index(S.USER_ID).reindex(user_index)
    return pd.concat([one_hot(u[c], c) for c in cols], axis=1).reset_index(drop=True)


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The feature columns of a user-feature frame (everything but the keys)."""
    return [c for c in frame.columns if c not in KEYS]
