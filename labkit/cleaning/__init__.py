"""Cleaning of raw shop exports: named rules, the synthetic world's cleaner, its audit, a SQL path.

Every raw row ends up kept (maybe repaired) or quarantined with a reason, in a
:class:`CleaningResult`. Introduced in 01_data_cleaning. Importing this package has no
side effects; DuckDB is imported only when the SQL path runs.
"""

from .audit import audit, fault_recall, fault_report
from .handoff import cleaned_tables, save_cleaned
from .report import RAW_ROW, REASON, CleaningResult
from .rules import (blank, bot_sessions, canonical_label, clean_text, code_to_id, duplicate_flags,
                    extreme_threshold, label_codes, label_mapping, parse_integer, parse_price, parse_timestamp,
                    strip_emoji)
from .sql import clean_events_sql, clean_orders_sql, clean_raw_export_sql
from .synthetic import (TABLES, clean_feedback, clean_products, clean_raw_export, clean_users, export_end_of,
                        is_test_account, summary)
from .synthetic_common import SCHEMAS, Reference, load_raw, read_raw_file
from .synthetic_facts import CANCELLATION_REASON, clean_events, clean_orders
from .text import text_faults
from .triage import Triage

__all__ = [
    "CANCELLATION_REASON", "RAW_ROW", "REASON", "SCHEMAS", "TABLES", "CleaningResult", "Reference", "Triage",
    "audit", "blank", "bot_sessions", "canonical_label", "clean_events", "clean_events_sql", "clean_feedback",
    "clean_orders", "clean_orders_sql", "clean_products", "clean_raw_export", "clean_raw_export_sql",
    "clean_text", "clean_users", "cleaned_tables", "code_to_id", "duplicate_flags", "export_end_of", "extreme_threshold",
    "fault_recall", "fault_report", "is_test_account", "label_codes", "label_mapping", "load_raw",
    "parse_integer", "parse_price", "parse_timestamp", "read_raw_file", "save_cleaned", "strip_emoji", "summary",
    "text_faults",
]
