"""Real labelled texts as text tasks: one call per source, used by 04b_real_texts.

The lesson cells of 04b are the same for every source; which targets a source offers
(star rating and recommendation for the Women's reviews, 27 intents for Bitext, your
own label for a file) is decided here, not in the notebook.
"""

from __future__ import annotations

import os

from ...datasets.registry import DATASETS
from .tasks import TextTask, bitext_task, file_task, womens_task

TEXT_SOURCES: tuple[str, ...] = tuple(
    name for name, ds in DATASETS.items() if "04b_real_texts" in ds.notebooks) + ("file",)


def real_text_tasks(source: str, data_dir: str | os.PathLike | None = None, seed: int = 0, *,
                    text_file: str | os.PathLike | None = None, text_col: str = "text",
                    label_col: str = "label", verbose: bool = True) -> dict[str, TextTask]:
    """``{target: TextTask}`` of a real text source (one of :data:`TEXT_SOURCES`).

    ``"womens_reviews"``: ``rating`` (5 classes) and ``recommended`` (2); ``"bitext"``:
    ``message_intent`` (27 intents); ``"file"``: ``label`` from ``text_file``'s ``text_col``
    and ``label_col``. Parts are seeded stratified 70/15/15 splits (these files have no dates).
    """
    if source == "womens_reviews":
        return {"rating": womens_task(data_dir, "rating", seed, verbose=verbose),
                "recommended": womens_task(data_dir, "recommended", seed, verbose=False)}
    if source == "bitext":
        return {"message_intent": bitext_task(data_dir, seed, verbose=verbose)}
    if source == "file":
        if text_file is None:
            raise ValueError("text_file: the source 'file' needs TEXT_FILE, a CSV / JSON-lines / parquet file "
                             "with a text column (TEXT_COL) and a label column (LABEL_COL)")
        return {"label": file_task(text_file, text_col, label_col, seed, verbose=verbose)}
    raise ValueError(f"DATASET: expected one of {', '.join(TEXT_SOURCES)} for 04b_real_texts, got {source!r}")
