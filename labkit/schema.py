"""Column and table names used across the course, defined once.

Every notebook and labkit module refers to columns through these constants, so a
rename happens in one place (introduced in 00_data_tour).
"""

from __future__ import annotations

# --- identifiers -------------------------------------------------------------
USER_ID = "user_id"
PRODUCT_ID = "product_id"
SESSION_ID = "session_id"
ORDER_ID = "order_id"
LINE_ID = "line_id"
EVENT_ID = "event_id"
REVIEW_ID = "review_id"
MESSAGE_ID = "message_id"

# --- time --------------------------------------------------------------------
DATE = "date"
TIMESTAMP = "timestamp"
DAY = "day"  # integer day index since the world's start date

# --- calendar ----------------------------------------------------------------
WEEKDAY = "weekday"
IS_HOLIDAY = "is_holiday"
HOLIDAY_NAME = "holiday_name"
FESTIVAL = "festival"
PROMO_INTENSITY = "promo_intensity"

# --- products ----------------------------------------------------------------
CATEGORY = "category"
SUBCATEGORY = "subcategory"
BRAND = "brand"
COLOUR = "colour"
BASE_PRICE = "base_price"
LAUNCH_DATE = "launch_date"
TITLE = "title"
DESCRIPTION = "description"
# hidden attributes (truth only): visible in one modality, never in the table
PATTERN = "pattern"  # image only
SHADE = "shade"  # image only ("trendy" shades lift demand)
MATERIAL = "material"  # text only
FEATURE = "feature"  # text only

# --- users -------------------------------------------------------------------
SIGNUP_DATE = "signup_date"
REGION = "region"
COUNTRY = "country"
DEVICE = "device"
AGE_BAND = "age_band"
SEGMENT = "segment"

# --- prices ------------------------------------------------------------------
PRICE = "price"
DISCOUNT = "discount"
ON_PROMO = "on_promo"

# --- events ------------------------------------------------------------------
EVENT_TYPE = "event_type"
DWELL_SECONDS = "dwell_seconds"
EVENT_TYPES = ("view", "click", "add_to_cart", "remove_from_cart", "purchase")

# --- orders ------------------------------------------------------------------
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
STATUS = "status"
ORDER_STATUSES = ("completed", "cancelled", "returned")
PROMISED_DATE = "promised_date"
DELIVERED_DATE = "delivered_date"

# --- reviews and messages ----------------------------------------------------
RATING = "rating"
TEXT = "text"
INTENT = "intent"
INTENTS = (
    "order_status",
    "return_refund",
    "size_question",
    "payment_problem",
    "cancel_order",
    "product_question",
    "damaged_delivery",
    "account_help",
)
ASPECTS = ("quality", "fit", "delivery", "price", "looks")

# --- truth -------------------------------------------------------------------
STATE = "state"
P_PURCHASE_7D = "p_purchase_7d"  # P(purchase in days d..d+6 | state on day d)
P_PURCHASE_NEXT_7D = "p_purchase_next_7d"  # P(purchase in days d+1..d+7 | state and purchase on day d)
EXPECTED_UNITS = "expected_units"
JOURNEY_STATES = ("dormant", "browsing", "comparing", "ready", "churned")

# --- table names (files are <name>.parquet in the world folder) ---------------
OBSERVED_TABLES = (
    "calendar",
    "products",
    "users",
    "prices",
    "events",
    "orders",
    "reviews",
    "messages",
)
TRUTH_TABLES = (
    "truth_user_days",
    "truth_product_days",
    "truth_products",
    "truth_users",
    "truth_reviews",
    "truth_order_lines",
)

# --- raw files and their cleaning (01_data_cleaning) ----------------------------
# Every loader of a raw file numbers its rows; every cleaner keeps that number.
RAW_ROW = "raw_row"  # 0-based data-row number of the raw file (header excluded)
REASON = "reason"  # why a quarantined row was set aside

# --- splits, labels and features (02_feature_extraction) -----------------------
# Added for labkit.splits, labkit.labels and labkit.features; every later notebook
# reads its samples through these names.
PART = "part"  # warmup, train, valid, test (labkit.splits.PARTS)
CUTOFF = "cutoff"  # last day of history of a purchase-intent sample (a date at midnight)
ORIGIN = "origin"  # last day of history of a demand forecast (a date at midnight)
HORIZON = "horizon"  # days ahead of the origin, 1..14
TARGET_DATE = "target_date"  # the forecast day: origin + horizon days
UNITS = "units"  # units ordered of a product on a day (all ordered units, whatever the later status)
PURCHASE_NEXT_7D = "purchase_next_7d"  # label: an order in the 7 days after the cut-off day
SENTIMENT = "sentiment"  # label id: 0 negative (1-2 stars), 1 neutral (3), 2 positive (4-5)
SENTIMENT_NAME = "sentiment_name"
SENTIMENTS = ("negative", "neutral", "positive")
INTENT_ID = "intent_id"  # index of the intent in INTENTS
UNITS_28D = "units_28d"  # cold-start label: units in the first 28 days after launch
