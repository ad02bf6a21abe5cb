"""Text rules: strip HTML, unescape entities, fix mojibake (ftfy), remove emoji.

Only rows that show a symptom (a tag, an entity, a non-ASCII character) are touched, so
already-clean ASCII text comes back byte for byte. Introduced in 01_data_cleaning.
"""

from __future__ import annotations

import html
import re

import ftfy
import numpy as np
import pandas as pd

# emoji and pictographs (not letters, currency, ©, ® or ™); variation selectors and joiners too
EMOJI = ("\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u231A\u231B\u2328\u23CF\u23E9-\u23F3"
         "\u23F8-\u23FA\uFE0E\uFE0F\u200D\u20E3\U000E0020-\U000E007F")
_EMOJI_RE = re.compile(f"[ \t]*[{EMOJI}]+")
_BLOCK_RE = re.compile(r"(?:\s*<\s*/?\s*(?:br|p|div|li|ul|ol|tr|h[1-6])\b[^>]*>\s*)+", re.IGNORECASE)
_TAG = r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>"
_TAG_RE = re.compile(_TAG)
_ENTITY = r"&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);"
_ENTITY_RE = re.compile(_ENTITY)
_SYMPTOM = f"{_TAG}|{_ENTITY}|[^\\x00-\\x7F]"


def strip_emoji(text: str) -> str:
    """Remove emoji (and the spaces before them) from one string; 01_data_cleaning."""
    return _EMOJI_RE.sub("", text)


def _clean_one(text: str) -> str:
    out = text
    if _TAG_RE.search(out):
        out = _TAG_RE.sub("", _BLOCK_RE.sub("\n", out))
    if _ENTITY_RE.search(out):
        out = html.unescape(out)
    if not out.isascii():
        out = strip_emoji(ftfy.fix_text(out, unescape_html=False))
    return out.strip() if out != text else text


def clean_text(values: pd.Series) -> pd.Series:
    """Clean a text column: HTML tags, entities, mojibake, emoji (01_data_cleaning).

    Per row, in order: block tags (``<p>``, ``<br/>``, ...) become a line break and other
    tags vanish; HTML entities are unescaped (``html.unescape``); text with non-ASCII
    characters goes through ``ftfy.fix_text`` (``itâ€™s`` → ``it's``; ftfy also
    straightens curly quotes) and loses its emoji together with the spaces before them;
    a changed row is finally stripped of leading/trailing whitespace. Rows without a tag,
    an entity or a non-ASCII character are returned unchanged; missing stays missing.
    """
    s = values.astype("str")
    todo = s.str.contains(_SYMPTOM, regex=True, na=False).to_numpy(dtype=bool)
    out = s.copy()
    if todo.any():
        out[todo] = np.array([_clean_one(v) for v in s[todo].tolist()], dtype=object)
    return out


def text_faults(values: pd.Series) -> dict[str, np.ndarray]:
    """Which rows show which text fault: ``html_in_text``, ``emoji_in_text``, ``mojibake`` (01_data_cleaning).

    HTML: a tag or an entity; emoji: an emoji character; mojibake: ``ftfy.fix_text``
    changes the (emoji-free) text. Used to name the repairs :func:`clean_text` makes.
    """
    s = values.astype("str")
    out = {"html_in_text": s.str.contains(f"{_TAG}|{_ENTITY}", regex=True, na=False).to_numpy(dtype=bool),
           "emoji_in_text": s.str.contains(f"[{EMOJI}]", regex=True, na=False).to_numpy(dtype=bool)}
    moji = np.zeros(len(s), dtype=bool)
    odd = s.str.contains(r"[^\x00-\x7F]", regex=True, na=False).to_numpy(dtype=bool)
    for i in np.nonzero(odd)[0]:
        t = strip_emoji(s.iat[i])
        moji[i] = ftfy.fix_text(t, unescape_html=False) != t
    out["mojibake"] = moji
    return out
