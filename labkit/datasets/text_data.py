"""Read the real text datasets of 04_bert and a learner's own labelled text file.

* :func:`load_womens_reviews` -- Women's E-Commerce Clothing Reviews (23,486 reviews):
  ``rating`` 1-5, ``recommended`` 0/1, ``text`` = title + review, 3-class ``sentiment``.
  Empty texts (844 in the official file: no title and no review) are **kept and flagged**
  in the bool column ``empty_text``, counted in ``df.attrs['empty_texts']`` and printed;
  the caller drops them visibly (``df[~df.empty_text]``), so every row count adds up.
* :func:`load_bitext` -- Bitext customer-service utterances (8,175, 27 intents, 11 categories).
* :func:`load_text_file` -- any CSV / JSON-lines / parquet file with a text and a label
  column; empty texts raise (with their count and row numbers) unless ``allow_empty``.
* :func:`random_parts` -- a seeded, stratified train/valid/test ``part`` for files without time;
  :func:`group_duplicates` then keeps each normalised text in one part, and
  :func:`duplicate_share_across_parts` says how many held-out texts a plain split had in train.

Columns follow :mod:`labkit.schema` (``text``, ``rating``, ``sentiment``, ``intent``,
``intent_id``, ``part``) so the notebook code is the same on the synthetic world.
Errors are ``ValueError`` naming the file, the column and what was expected.
Introduced in 04_bert.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import sentiment_of_rating
from .registry import resolve_dataset_path as _resolve

WOMENS_COLUMNS = ("Clothing ID", "Age", "Title", "Review Text", "Rating", "Recommended IND",
                  "Positive Feedback Count", "Division Name", "Department Name", "Class Name")
WOMENS_REQUIRED = ("Review Text", "Rating", "Recommended IND")
BITEXT_REQUIRED = ("utterance", "intent")
RECOMMENDED = "recommended"
EMPTY_TEXT = "empty_text"
LABEL, LABEL_ID = "label", "label_id"


def _fail(path: Path, message: str) -> ValueError:
    return ValueError(f"{path.name}: {message}")


def _read(path: Path) -> pd.DataFrame:
    """CSV (.csv/.csv.gz/.tsv, text kept as str), JSON lines (.jsonl/.json) or parquet."""
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            sep = "\t" if name.endswith((".tsv", ".txt")) else ","
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", sep=sep)
        if name.endswith((".jsonl", ".jsonl.gz", ".json")):
            return pd.read_json(path, lines=not name.endswith(".json") or _is_json_lines(path), dtype=False)
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
    except pd.errors.EmptyDataError as err:
        raise _fail(path, "empty file; expected a header line and one line per text") from err
    except ImportError:
        raise
    except Exception as err:  # parser, decoding, gzip and pyarrow raise many types
        raise _fail(path, f"not a readable file ({type(err).__name__}: {err})") from err
    raise _fail(path, "unsupported file type; expected .csv, .csv.gz, .tsv, .jsonl, .json or .parquet")


def _is_json_lines(path: Path) -> bool:
    with open(path, encoding="utf-8") as f:
        return not f.read(1).lstrip().startswith("[")


def _require(path: Path, df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise _fail(path, f"missing column(s) {', '.join(map(repr, missing))} ({what}); "
                          f"found {', '.join(map(repr, map(str, df.columns)))}")
    if len(df) == 0:
        raise _fail(path, "no data rows; expected one row per text")


def _check(path: Path, values: pd.Series, ok: pd.Series, column: str, expected: str) -> None:
    """Raise naming the file, the column, the expectation and a few bad values with row numbers."""
    bad = ~ok.fillna(False).to_numpy(dtype=bool)
    if bad.any():
        rows = np.flatnonzero(bad)[:3]
        examples = ", ".join(f"{values.iloc[i]!r} (row {i})" for i in rows)
        raise _fail(path, f"column {column!r}: expected {expected}, found {int(bad.sum())} bad value(s) "
                          f"such as {examples} (rows are 0-based data rows)")


def _whole(values: pd.Series, allowed: Sequence[int]) -> tuple[pd.Series, pd.Series]:
    x = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    return x, x.isin(list(allowed)) & values.notna()


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip()


def _join(title: str, review: str) -> str:
    """'Title. Review' (no extra '.' after a title ending in . ! ?); either part may be empty."""
    if not title or not review:
        return title or review
    return f"{title} {review}" if title[-1] in ".!?" else f"{title}. {review}"


def load_womens_reviews(path_or_dir: str | os.PathLike, verbose: bool = True) -> pd.DataFrame:
    """Women's Clothing Reviews: review_id, title, review, text, rating, recommended, sentiment, ...

    ``text`` is the title and the review joined by '. ' (either may be missing); rows whose
    ``text`` is empty are kept with ``empty_text`` True (see the module doc). Also keeps
    clothing_id, age, department and class_name. Raises ``ValueError`` naming the file and
    the column for a missing column or a rating outside 1-5 / a recommendation not 0/1.
    """
    path = _resolve(path_or_dir, "womens_reviews", "womens_clothing_ecommerce_reviews.csv.gz (or .csv, .parquet)")
    raw = _read(path)
    _require(path, raw, WOMENS_REQUIRED, "the Kaggle file's review, star rating and recommendation")
    rating, ok = _whole(raw["Rating"], range(1, 6))
    _check(path, raw["Rating"], ok, "Rating", "whole stars 1..5")
    rec, ok = _whole(raw["Recommended IND"], (0, 1))
    _check(path, raw["Recommended IND"], ok, "Recommended IND", "0 or 1")
    title = _text(raw["Title"]) if "Title" in raw else pd.Series("", index=raw.index)
    review = _text(raw["Review Text"])
    text = [_join(t, r) for t, r in zip(title, review)]
    first = raw.columns[0]
    ids = (pd.to_numeric(raw[first], errors="coerce") if str(first).startswith("Unnamed") or first == "" else None)
    out = pd.DataFrame({
        S.REVIEW_ID: ids.astype("int64") if ids is not None and ids.notna().all() else np.arange(len(raw)),
        "title": title, "review": review, S.TEXT: text,
        S.RATING: rating.astype("int64"), RECOMMENDED: rec.astype("int64"),
    })
    out[S.SENTIMENT] = sentiment_of_rating(out[S.RATING]).astype("int64")
    out[S.SENTIMENT_NAME] = np.asarray(S.SENTIMENTS, dtype=object)[out[S.SENTIMENT]]
    for src, dst in (("Clothing ID", "clothing_id"), ("Age", "age"), ("Department Name", "department"),
                     ("Class Name", "class_name")):
        if src in raw:
            out[dst] = pd.to_numeric(raw[src], errors="coerce") if dst in ("clothing_id", "age") else raw[src]
    out[EMPTY_TEXT] = out[S.TEXT].str.len() == 0
    n_empty, n_no_review = int(out[EMPTY_TEXT].sum()), int((out["review"] == "").sum())
    out.attrs.update({"source": path.name, "rows": len(out), "empty_texts": n_empty, "empty_reviews": n_no_review})
    if verbose:
        counts = out[S.SENTIMENT_NAME].value_counts().reindex(S.SENTIMENTS).fillna(0).astype(int)
        print(f"womens_reviews: {len(out):,} reviews from {path.name}; {n_empty:,} with no text at all "
              f"(flagged empty_text, kept), {n_no_review:,} without review text; sentiment "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return out


def load_bitext(path_or_dir: str | os.PathLike, verbose: bool = True) -> pd.DataFrame:
    """Bitext customer-service utterances: message_id, text, category, intent, intent_id, flags.

    ``intent_id`` is the index in the sorted intent names (``df.attrs['intents']``, 27 in the
    official file). Empty utterances raise ``ValueError`` with their count and row numbers.
    """
    path = _resolve(path_or_dir, "bitext", "Bitext_Sample_Customer_Service_Training_Dataset.csv")
    raw = _read(path)
    _require(path, raw, BITEXT_REQUIRED, "the utterance and its intent")
    text, intent = _text(raw["utterance"]), _text(raw["intent"])
    _check(path, raw["utterance"], text != "", "utterance", "a non-empty text")
    _check(path, raw["intent"], intent != "", "intent", "an intent name")
    intents = sorted(intent.unique())
    out = pd.DataFrame({S.MESSAGE_ID: np.arange(len(raw)), S.TEXT: text,
                        "category": _text(raw["category"]) if "category" in raw else "",
                        S.INTENT: intent, S.INTENT_ID: pd.Index(intents).get_indexer(intent).astype("int64"),
                        "flags": _text(raw["flags"]) if "flags" in raw else ""})
    out.attrs.update({"source": path.name, "rows": len(out), "intents": intents})
    if verbose:
        sizes = out[S.INTENT].value_counts()
        print(f"bitext: {len(out):,} utterances from {path.name}, {len(intents)} intents "
              f"({sizes.min()}..{sizes.max()} each), {out['category'].nunique()} categories")
    return out


def load_text_file(path: str | os.PathLike, text_col: str, label_col: str, labels: Sequence[str] | None = None,
                   allow_empty: bool = False, verbose: bool = True) -> pd.DataFrame:
    """A learner's labelled texts (.csv, .csv.gz, .tsv, .jsonl, .json, .parquet): text, label, label_id.

    ``label_id`` indexes ``labels`` (default: the sorted distinct labels, kept in
    ``df.attrs['labels']``). Missing columns, missing labels, labels outside ``labels`` and
    (unless ``allow_empty``, which flags them in ``empty_text``) empty texts raise ``ValueError``.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected a CSV, JSON-lines or parquet file of labelled texts")
    raw = _read(path)
    _require(path, raw, [text_col, label_col], f"text_col={text_col!r}, label_col={label_col!r}")
    text = _text(raw[text_col])
    empty = (text == "").to_numpy()
    if empty.any() and not allow_empty:
        rows = ", ".join(map(str, np.flatnonzero(empty)[:5]))
        raise _fail(path, f"column {text_col!r}: expected a non-empty text in every row, found {int(empty.sum())} "
                          f"empty of {len(text)} (rows {rows}{', ...' if empty.sum() > 5 else ''}); "
                          f"remove them, or pass allow_empty=True (04b: ALLOW_EMPTY = True) to leave them out visibly")
    label = raw[label_col].astype("string").str.strip()
    _check(path, raw[label_col], label.notna() & (label != ""), label_col, "a label in every row")
    names = sorted(label.unique()) if labels is None else [str(x) for x in labels]
    _check(path, raw[label_col], label.isin(names), label_col, f"one of {names}")
    out = pd.DataFrame({S.TEXT: text, LABEL: label.astype(str),
                        LABEL_ID: pd.Index(names).get_indexer(label).astype("int64"), EMPTY_TEXT: empty})
    out.attrs.update({"source": path.name, "rows": len(out), "labels": names, "empty_texts": int(empty.sum())})
    if verbose:
        print(f"{path.name}: {len(out):,} texts, {len(names)} labels, {int(empty.sum())} empty texts")
    return out


def random_parts(y: object, valid: float = 0.15, test: float = 0.15, seed: int = 0,
                 source: str = "the texts") -> np.ndarray:
    """Stratified random ``part`` (train / valid / test) for data without timestamps.

    ``ValueError`` (naming ``source``) when a label has too few examples to appear in every part.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if not (0 < valid < 1 and 0 < test < 1 and valid + test < 1):
        raise ValueError(f"valid and test: expected fractions with valid + test < 1, got {valid} and {test}")
    labels, counts = np.unique(y, return_counts=True)
    rare = {str(k): int(c) for k, c in zip(labels, counts) if c < 3}
    if rare:
        raise ValueError(f"{source}: label(s) with fewer than 3 examples {rare} cannot be split into train, valid "
                         f"and test parts stratified by label; drop or merge those labels, or add examples")
    idx = np.arange(len(y))
    try:
        rest, te = train_test_split(idx, test_size=test, stratify=y, random_state=seed)
        tr, va = train_test_split(rest, test_size=valid / (1 - test), stratify=y[rest], random_state=seed)
    except ValueError as err:  # e.g. a test part smaller than the number of labels
        raise ValueError(f"{source}: {len(y)} texts with {len(labels)} labels are too few for a stratified "
                         f"{1 - valid - test:.0%}/{valid:.0%}/{test:.0%} split ({err})") from None
    part = np.empty(len(y), dtype=object)
    part[tr], part[va], part[te] = "train", "valid", "test"
    return part


def normalised_texts(texts: Sequence[str]) -> pd.Series:
    """Texts as compared for duplicates: Unicode NFKC, lower case, runs of white space as one space, stripped."""
    t = pd.Series(list(texts), dtype="string").fillna("")
    return t.str.normalize("NFKC").str.lower().str.replace(r"\s+", " ", regex=True).str.strip()


def duplicate_share_across_parts(texts: Sequence[str], parts: Sequence[str]) -> float:
    """Share of the valid and test texts whose normalised text also occurs in the train part."""
    norm, parts = normalised_texts(texts), np.asarray(parts)
    held_out = parts != "train"
    if not held_out.any():
        return 0.0
    return float(norm[held_out].isin(set(norm[parts == "train"])).mean())


def group_duplicates(texts: Sequence[str], parts: Sequence[str]) -> tuple[np.ndarray, int]:
    """Keep each (normalised) text in one part: every copy goes to the part of its first row.

    Returns ``(parts, moved)``; a file without duplicates across parts keeps its parts as they were.
    A text in training and test would let a model score by memory (04b, the text-file track).
    """
    norm, parts = normalised_texts(texts), np.asarray(parts, dtype=object)
    if len(norm) != len(parts):
        raise ValueError(f"parts: expected one per text ({len(norm)}), got {len(parts)}")
    first = pd.Series(parts).groupby(norm.to_numpy()).transform("first").to_numpy(dtype=object)
    moved = int((first != parts).sum())
    return first, moved
