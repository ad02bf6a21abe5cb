"""Real labelled texts as text tasks: one call per source, used by 04b_real_texts.

The lesson cells of 04b are the same for every source; which targets a source offers
(star rating and recommendation for the Women's reviews, 27 intents for Bitext, your
own label for a file) is decided here, not in the notebook.

These files have no dates, so parts are a seeded stratified 70/15/15 split. Public review
and utterance files often hold the same text more than once; a copy in training and one
in test lets a model score by memory (on one public review file 79 % of the test texts
were in training, and TF-IDF's macro-F1 fell from 0.910 to 0.244 without them). So by
default every (normalised) text keeps to one part (``group_duplicates=True``), and each
task says how many held-out texts a plain split would have shared with training
(``frame.attrs['dup_share_across_parts']``, recorded by 04b as ``text_dup_share_across_parts``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ... import schema as S
from ...datasets import real_data_dir
from ...datasets.registry import DATASETS
from ...datasets.text_data import (EMPTY_TEXT, RECOMMENDED, duplicate_share_across_parts, group_duplicates,
                                   load_bitext, load_text_file, load_womens_reviews, normalised_texts,
                                   random_parts)
from .tasks import LABEL, TextTask

TEXT_SOURCES: tuple[str, ...] = tuple(
    name for name, ds in DATASETS.items() if "04b_real_texts" in ds.notebooks) + ("file",)


def split_parts(df: pd.DataFrame, strata: object, seed: int, source: str, grouped: bool = True,
                verbose: bool = True) -> pd.DataFrame:
    """Add ``part`` to ``df`` (a stratified split), keeping duplicate texts in one part when ``grouped``.

    ``df.attrs`` gets ``dup_share_across_parts`` (the share of valid and test texts whose
    normalised text a plain split put in train too) and ``moved_duplicates`` (rows moved).
    """
    parts = random_parts(np.asarray(strata), seed=seed, source=source)
    share = duplicate_share_across_parts(df[S.TEXT], parts)
    moved = 0
    if grouped:
        parts, moved = group_duplicates(df[S.TEXT], parts)
    empty = [p for p in ("train", "valid", "test") if not (parts == p).any()]
    if empty:
        raise ValueError(f"{source}: part(s) {empty} are empty after keeping each text in one part: "
                         f"{len(df):,} texts but only {normalised_texts(df[S.TEXT]).nunique():,} distinct ones; "
                         f"add distinct texts, or pass group_duplicates=False (04b: GROUP_DUPLICATES = False)")
    out = df.assign(**{S.PART: parts})
    out.attrs.update(df.attrs)
    out.attrs.update({"dup_share_across_parts": share, "moved_duplicates": moved})
    if verbose:
        what = (f"{moved:,} rows moved so that each text keeps to one part" if grouped
                else "kept as they are (group_duplicates=False): scores on them measure memory")
        print(f"{source}: {share:.2%} of the valid and test texts also occur in train under a plain split; {what}")
    return out


def womens_task(data_dir: object = None, target: str = "rating", seed: int = 0, verbose: bool = True,
                group_duplicates: bool = True) -> TextTask:
    """Women's Clothing Reviews: ``rating`` (5 classes) or ``recommended`` (2); empty texts dropped visibly.

    The 844 reviews without any text cannot be classified from text: they are counted and
    printed here, kept out of every part (``frame.attrs['dropped_empty']``). Parts are
    stratified on both targets (see :func:`split_parts`).
    """
    if target not in ("rating", "recommended"):
        raise ValueError(f"target: expected 'rating' or 'recommended', got {target!r}")
    raw = load_womens_reviews(real_data_dir(data_dir), verbose=verbose)
    df = raw[~raw[EMPTY_TEXT]].reset_index(drop=True)
    if verbose:
        print(f"womens_reviews: {len(raw) - len(df):,} empty texts left out, {len(df):,} reviews kept")
    df[LABEL] = (df[S.RATING] - 1 if target == "rating" else df[RECOMMENDED]).astype(np.int64)
    df = split_parts(df, df[S.RATING] * 2 + df[RECOMMENDED], seed, "womens_reviews", group_duplicates, verbose)
    classes = ("1 star", "2 stars", "3 stars", "4 stars", "5 stars") if target == "rating" else ("no", "yes")
    task = TextTask(f"womens:{target}", classes, df)
    task.frame.attrs["dropped_empty"] = len(raw) - len(df)
    return task


def bitext_task(data_dir: object = None, seed: int = 0, verbose: bool = True,
                group_duplicates: bool = True) -> TextTask:
    """Bitext customer-service utterances: 27 intents (parts: :func:`split_parts`)."""
    df = load_bitext(real_data_dir(data_dir), verbose=verbose)
    intents = tuple(df.attrs["intents"])
    df = df.assign(**{LABEL: df[S.INTENT_ID].astype(np.int64)})
    df = split_parts(df, df[LABEL], seed, "bitext", group_duplicates, verbose)
    return TextTask("bitext:intent", intents, df)


def file_task(path: object, text_col: str = "text", label_col: str = "label", seed: int = 0,
              verbose: bool = True, group_duplicates: bool = True, allow_empty: bool = False) -> TextTask:
    """A learner's own labelled texts (CSV / JSON lines / parquet; parts: :func:`split_parts`).

    ``allow_empty``: keep going when some texts are empty (they are left out, counted in
    ``frame.attrs['dropped_empty']`` and printed); by default an empty text is an error.
    """
    raw = load_text_file(path, text_col, label_col, allow_empty=allow_empty, verbose=verbose)
    df = raw[~raw[EMPTY_TEXT]].reset_index(drop=True)
    df.attrs.update(raw.attrs)
    if verbose and len(df) < len(raw):
        print(f"{raw.attrs['source']}: {len(raw) - len(df):,} empty texts left out, {len(df):,} kept")
    df = split_parts(df, df[LABEL], seed, str(raw.attrs["source"]), group_duplicates, verbose)
    task = TextTask(f"file:{label_col}", tuple(df.attrs["labels"]), df)
    task.frame.attrs["dropped_empty"] = len(raw) - len(df)
    return task


def real_text_tasks(source: str, data_dir: str | os.PathLike | None = None, seed: int = 0, *,
                    text_file: str | os.PathLike | None = None, text_col: str = "text",
                    label_col: str = "label", verbose: bool = True, group_duplicates: bool = True,
                    allow_empty: bool = False) -> dict[str, TextTask]:
    """``{target: TextTask}`` of a real text source (one of :data:`TEXT_SOURCES`).

    ``"womens_reviews"``: ``rating`` (5 classes) and ``recommended`` (2); ``"bitext"``:
    ``message_intent`` (27 intents); ``"file"``: ``label`` from ``text_file``'s ``text_col``
    and ``label_col`` (``allow_empty``: see :func:`file_task`). ``group_duplicates``: see
    :func:`split_parts`.
    """
    if source == "womens_reviews":
        return {"rating": womens_task(data_dir, "rating", seed, verbose, group_duplicates),
                "recommended": womens_task(data_dir, "recommended", seed, False, group_duplicates)}
    if source == "bitext":
        return {"message_intent": bitext_task(data_dir, seed, verbose, group_duplicates)}
    if source == "file":
        if text_file is None:
            raise ValueError("text_file: the source 'file' needs TEXT_FILE, a CSV / JSON-lines / parquet file "
                             "with a text column (TEXT_COL) and a label column (LABEL_COL)")
        return {"label": file_task(text_file, text_col, label_col, seed, verbose, group_duplicates, allow_empty)}
    raise ValueError(f"DATASET: expected one of {', '.join(TEXT_SOURCES)} for 04b_real_texts, got {source!r}")


def metrics_dataset(source: str, text_file: str | os.PathLike | None = None) -> str:
    """The dataset part of 04b's metrics key: the source, or ``file-<stem of the file>`` for a learner's file
    (so that two files' runs never overwrite each other's metrics)."""
    if source != "file":
        return source
    if text_file is None:
        raise ValueError("text_file: the source 'file' needs TEXT_FILE")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(text_file).name.split(".")[0]).strip("_") or "texts"
    return f"file-{stem}"
