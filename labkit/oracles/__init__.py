"""The course's oracles, in one home: the best score the world allows, for every task.

* purchase intent (03): :func:`intent_state_oracle` (the truth's purchase probability on the
  cut-off day) and :func:`observable_ceiling` (the forward filter: the best any model that
  sees only what users did can do);
* demand (03, 06, 07): :func:`demand_state_oracle` (expected units given the target day's
  true state) and :func:`forecast_oracle` (the world's simulation restarted at the origin);
* next product (03): :func:`next_product_oracle` (the world's next-view distribution given the
  shopper's hidden state and consideration set) and :func:`hidden_state` to read results by state.
"""

from .demand import demand_state_oracle, forecast_oracle, rebuild_chain, rollout_expected_units
from .intent import intent_state_oracle, observable_ceiling
from .next_product import hidden_state, next_product_oracle, true_next_distribution

__all__ = ["demand_state_oracle", "forecast_oracle", "hidden_state", "intent_state_oracle", "next_product_oracle",
           "observable_ceiling", "rebuild_chain", "rollout_expected_units", "true_next_distribution"]
