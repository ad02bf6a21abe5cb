"""TF-IDF (or hashed) bag-of-words features of product texts, reviews and messages.

The vocabulary and the IDF weights are fitted on training-period texts ONLY (products
launched by the end of train, reviews and messages written by then) and then applied to
every text, so no word first seen in validation or test shapes the features.
Introduced in 02_feature_extraction; the bag-of-words baseline of 04 (before BERT) and a
text input of 05's fusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .. import schema as S
from ..frames import require
from ..splits import CourseSplit
from .asof import history

TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"


@dataclass
class TextFeatures:
    """Sparse TF-IDF rows for ``ids`` (one per text), the fitted vectorizer and its vocabulary."""

    ids: np.ndarray
    matrix: sparse.csr_matrix
    vectorizer: object
    n_fit: int  # texts the vocabulary and IDF were fitted on

    @property
    def vocabulary(self) -> list[str]:
        """Feature names (hashed features: their column numbers)."""
        if hasattr(self.vectorizer, "get_feature_names_out"):
            return list(self.vectorizer.get_feature_names_out())
        return [f"h{i}" for i in range(self.matrix.shape[1])]


def make_vectorizer(method: str = "tfidf", max_features: int = 2000, ngram_range: tuple[int, int] = (1, 2),
                    min_df: int = 2, n_hash: int = 2**12) -> object:
    """A TF-IDF vectorizer, or hashing + TF-IDF weighting (``method="hashing"``)."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    if method == "tfidf":
        return TfidfVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, ngram_range=ngram_range,
                               min_df=min_df, max_features=max_features, sublinear_tf=True, dtype=np.float32)
    if method == "hashing":
        return make_pipeline(HashingVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, ngram_range=ngram_range,
                                               n_features=n_hash, alternate_sign=False, norm=None),
                             TfidfTransformer(sublinear_tf=True))
    raise ValueError(f"method must be 'tfidf' or 'hashing', got {method!r}")


def fit_transform_train_only(df: pd.DataFrame, text_col: str, id_col: str, time_col: str, split: CourseSplit,
                             **vectorizer_kwargs: object) -> TextFeatures:
    """Fit the vectorizer on rows known at the end of train (``time_col`` <= train_end), transform all rows."""
    require(df, [text_col, id_col, time_col], "texts")
    train = history(df, split.train_end, time_col=time_col)
    if len(train) == 0:
        raise ValueError(f"texts: no row with {time_col} on or before train_end {split.train_end.date()} to fit on")
    is_train = df.index.isin(train.index) if df.index.is_unique else None
    texts = df[text_col].fillna("").astype(str)
    vec = make_vectorizer(**vectorizer_kwargs)
    if is_train is None:  # duplicated index labels: fit, then transform everything
        vec.fit(train[text_col].fillna("").astype(str).tolist())
        matrix = vec.transform(texts.tolist())
    else:  # fit_transform the training texts, transform only the others (each text analysed once)
        fitted = sparse.csr_matrix(vec.fit_transform(texts[is_train].tolist()))
        others = texts[~is_train].tolist()
        rest = (sparse.csr_matrix(vec.transform(others)) if others  # no text after train: nothing to add
                else sparse.csr_matrix((0, fitted.shape[1]), dtype=fitted.dtype))
        stacked = sparse.vstack([fitted, rest]).tocsr()
        position = np.empty(len(df), dtype=np.int64)
        position[np.r_[np.nonzero(is_train)[0], np.nonzero(~is_train)[0]]] = np.arange(len(df))
        matrix = stacked[position]
    return TextFeatures(df[id_col].to_numpy(), sparse.csr_matrix(matrix, dtype=np.float32), vec, len(train))


def product_texts(products: pd.DataFrame) -> pd.DataFrame:
    """product_id, launch_date and one text per product: title and description."""
    require(products, [S.PRODUCT_ID, S.LAUNCH_DATE, S.TITLE, S.DESCRIPTION], "products")
    text = products[S.TITLE].fillna("").astype(str) + ". " + products[S.DESCRIPTION].fillna("").astype(str)
    return pd.DataFrame({S.PRODUCT_ID: products[S.PRODUCT_ID].to_numpy(),
                         S.LAUNCH_DATE: products[S.LAUNCH_DATE].to_numpy(), S.TEXT: text.to_numpy()})


def product_text_features(products: pd.DataFrame, split: CourseSplit, **kwargs: object) -> TextFeatures:
    """TF-IDF of title + description; vocabulary from products launched by the end of train."""
    kwargs.setdefault("min_df", 1)
    return fit_transform_train_only(product_texts(products), S.TEXT, S.PRODUCT_ID, S.LAUNCH_DATE, split, **kwargs)


def review_text_features(reviews: pd.DataFrame, split: CourseSplit, **kwargs: object) -> TextFeatures:
    """TF-IDF of review texts; vocabulary from reviews written by the end of train."""
    return fit_transform_train_only(reviews, S.TEXT, S.REVIEW_ID, S.TIMESTAMP, split, **kwargs)


def message_text_features(messages: pd.DataFrame, split: CourseSplit, **kwargs: object) -> TextFeatures:
    """TF-IDF of support messages; vocabulary from messages sent by the end of train."""
    return fit_transform_train_only(messages, S.TEXT, S.MESSAGE_ID, S.TIMESTAMP, split, **kwargs)
