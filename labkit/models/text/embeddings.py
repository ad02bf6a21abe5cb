"""Frozen sentence embeddings of the pretrained MiniLM: what pretraining gives without fine-tuning (04, 05).

Mean of the last layer over the real tokens, scaled to unit length; the encoder is loaded
once per model and cached. 04 compares a classifier on them with fine-tuning; 05 fuses them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from .bert import _batches, _check_texts, _import_transformers, _quiet, load_tokenizer, resolve_model


@lru_cache(maxsize=2)
def _encoder(path: str):
    _import_transformers()
    from transformers import AutoModel

    with _quiet():
        model = AutoModel.from_pretrained(path)
    return model.eval(), load_tokenizer(path)


def embed(texts: Sequence[str], name_or_path: str | None = None, max_length: int = 128, batch_size: int = 64,
          normalize: bool = True) -> np.ndarray:
    """Frozen sentence embeddings: mean of the last layer over real tokens, (n, hidden) float32.

    ``normalize`` scales each row to unit length (what all-MiniLM-L6-v2 was trained for).
    The encoder is loaded once per model and cached.
    """
    import torch  # heavy: loaded only when used

    texts = _check_texts(texts)
    model, tokenizer = _encoder(resolve_model(name_or_path))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for idx, enc in _batches(tokenizer, texts, max_length, batch_size):
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            if normalize:
                vec = torch.nn.functional.normalize(vec, dim=-1)
            out[idx] = vec.float().numpy()
    return out
