"""Feature extraction for the course (02_feature_extraction), leak-free by construction.

Every function takes cut-offs (or forecast origins) and sees only rows before the end
of each cut-off day (:mod:`labkit.features.asof`). Modules: ``user`` (RFM, behaviour
windows, sessions), ``product`` (price, promotion, popularity, attributes), ``demand``
(daily panel and 14-day forecast rows), ``text`` (TF-IDF fitted on train only),
``image`` (colour and texture statistics), ``sequences`` (last N events for 03's LSTM)
and ``build`` (everything for one profile, saved under ``artifacts/<profile>/features``).
"""

from .asof import Timeline, cutoff_end, history
from .build import FEATURE_ARTIFACTS, build_features, build_from_orders, load_features
from .demand import demand_features, demand_panel
from .eventlog import EventLog, event_log
from .image import image_features
from .product import product_attributes, product_features
from .sequences import event_sequences, load_sequences, save_sequences
from .text import message_text_features, product_text_features, review_text_features
from .user import user_features

__all__ = [
    "EventLog", "FEATURE_ARTIFACTS", "Timeline", "build_features", "build_from_orders", "cutoff_end",
    "demand_features", "demand_panel", "event_log", "event_sequences", "history", "image_features",
    "load_features", "load_sequences", "message_text_features", "product_attributes", "product_features",
    "product_text_features", "review_text_features", "save_sequences", "user_features",
]
