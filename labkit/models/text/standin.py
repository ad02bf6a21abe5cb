"""What 07_evaluation computes for a text task whose predictions 04_bert did not save.

04 fine-tunes MiniLM on the support messages only where its profile runs the extra tasks
(``profile.bert_more_tasks``; gpu). Elsewhere 07 still scores message intent and the share of
messages routed right, with the two models that cost seconds: TF-IDF and frozen MiniLM
embeddings, each + logistic regression, on the rows 04 would have used. Tests:
tests/test_text_tasks.py.
"""

from __future__ import annotations

import pandas as pd

from ... import schema as S
from ...profiles import get_profile
from .baselines import fit_embedding_logreg, fit_tfidf_logreg
from .export import prediction_frame
from .tasks import PARTS, message_task, subsample


def message_intent_baselines(profile: object = None, seed: int = 0, name_or_path: str | None = None,
                             max_length: int = 64) -> dict[str, pd.DataFrame]:
    """``{"valid": frame, "test": frame}`` in the format of 04's ``predictions/messages_intent_<part>``.

    Models ``tfidf`` and ``frozen``; the rows are 04's (``subsample`` with the profile's
    ``bert_max_texts`` and ``bert_eval_texts``).
    """
    from .embeddings import embed  # transformers and torch: loaded only when used

    prof = get_profile(profile)
    task = subsample(message_task(prof, seed), prof.bert_max_texts, prof.bert_eval_texts, seed)
    tfidf = fit_tfidf_logreg(task.texts("train"), task.y("train"), task.texts("valid"), task.y("valid"))
    emb = {p: embed(task.texts(p), name_or_path, max_length=max_length) for p in PARTS}
    frozen = fit_embedding_logreg(emb["train"], task.y("train"), emb["valid"], task.y("valid"))
    return {p: prediction_frame(task.part(p)[S.MESSAGE_ID], task.y(p),
                                {"tfidf": tfidf.predict_proba(task.texts(p)), "frozen": frozen.predict_proba(emb[p])},
                                task.classes, id_col=S.MESSAGE_ID)
            for p in ("valid", "test")}
