"""Token attributions of a fine-tuned text classifier: gradient x input (04), integrated gradients and
the token-deletion check of their faithfulness (07_evaluation).

* :func:`token_attributions` -- gradient x input (04).
* :func:`integrated_gradients` -- captum's layer integrated gradients on the word-piece embeddings.
* :func:`delete_tokens`, :func:`token_deletion_check` -- delete the top-k attributed word pieces
  vs k random ones and record the probability of the true class (07 takes the gap and its CI).
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import pandas as pd


def token_attributions(model, tokenizer, text: str, target: int | None = None, max_length: int = 128,
                       special_tokens: bool = False) -> list[tuple[str, float]]:
    """Gradient x input of each token for class ``target`` (default: the predicted class).

    Score of a token = sum over the embedding dimensions of (d logit_target / d embedding)
    x embedding, on the word-piece input embeddings. Positive scores push towards
    ``target``. Special tokens ([CLS], [SEP]) are left out unless ``special_tokens``.
    """
    import torch  # heavy: loaded only when used

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    enc = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt",
                    return_special_tokens_mask=True)
    special = enc.pop("special_tokens_mask")[0].bool()
    ids = enc["input_ids"].to(device)
    emb = model.get_input_embeddings()(ids).detach().requires_grad_(True)
    rest = {k: v.to(device) for k, v in enc.items() if k != "input_ids"}
    try:
        logits = model(inputs_embeds=emb, **rest).logits[0]
        k = int(logits.argmax()) if target is None else int(target)
        if not 0 <= k < logits.shape[-1]:
            raise ValueError(f"target: expected a class id in 0..{logits.shape[-1] - 1}, got {target}")
        (grad,) = torch.autograd.grad(logits[k], emb)
    finally:
        model.train(was_training)
    scores = (grad * emb).sum(-1)[0].detach().float().cpu().numpy()
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    return [(t, float(s)) for t, s, sp in zip(tokens, scores, special.tolist()) if special_tokens or not sp]


DELETIONS = ("pad", "mask", "remove")
METHODS = ("ig", "gradient_x_input")


def _encode(tokenizer, text: str, max_length: int) -> tuple[list[int], list[bool]]:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    enc = tokenizer(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
    return list(enc["input_ids"]), [bool(s) for s in enc["special_tokens_mask"]]


def _ig_scores(model, tokenizer, ids: list[int], special: list[bool], target: int | None,
               n_steps: int) -> tuple[np.ndarray, int, float]:
    """(IG scores per position as a numpy array, target class, completeness delta) of one encoded text."""
    import torch
    from captum.attr import LayerIntegratedGradients

    device = next(model.parameters()).device
    inp = torch.tensor([ids], device=device)
    base = torch.tensor([[i if s else tokenizer.pad_token_id for i, s in zip(ids, special)]], device=device)
    mask = torch.ones_like(inp)  # the baseline's [PAD]s are attended to: only the word pieces change

    def forward(input_ids, attention_mask):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = forward(inp, mask)[0]
        n_classes = logits.shape[-1]
        k = int(logits.argmax()) if target is None else int(target)
        if not 0 <= k < n_classes:
            raise ValueError(f"target: expected a class id in 0..{n_classes - 1}, got {target}")
        lig = LayerIntegratedGradients(forward, model.get_input_embeddings())
        attr, delta = lig.attribute(inp, base, target=k, additional_forward_args=(mask,), n_steps=n_steps,
                                    internal_batch_size=n_steps, return_convergence_delta=True)
    finally:
        model.train(was_training)
    return attr.sum(-1)[0].detach().double().cpu().numpy(), k, float(delta[0])


def integrated_gradients(model, tokenizer, text: str, target: int | None = None, n_steps: int = 20,
                         max_length: int = 128, special_tokens: bool = False) -> list[tuple[str, float]]:
    """Integrated gradients of each word piece for class ``target`` (default: the predicted class).

    captum's ``LayerIntegratedGradients`` on ``model.get_input_embeddings()`` (the word-piece
    embeddings; position and segment embeddings are the same along the path), from a baseline
    that keeps [CLS]/[SEP] and turns every other piece into [PAD] (same length, attended to),
    on the target's logit, ``n_steps`` Gauss-Legendre points. Same output as
    :func:`token_attributions`, so ``labkit.plots.token_attributions`` draws it (07_evaluation).
    """
    if not isinstance(n_steps, int) or n_steps < 2:
        raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}")
    ids, special = _encode(tokenizer, text, max_length)
    scores, _, _ = _ig_scores(model, tokenizer, ids, special, target, n_steps)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    return [(t, float(s)) for t, s, sp in zip(tokens, scores, special) if special_tokens or not sp]


def delete_tokens(ids: list[int], positions: list[int] | np.ndarray, tokenizer, how: str = "pad") -> list[int]:
    """``ids`` with the pieces at ``positions`` deleted: ``"pad"`` -> [PAD] (IG's baseline; the length and
    every other position stay), ``"mask"`` -> [MASK], ``"remove"`` -> dropped (later pieces shift left).

    07 uses ``"pad"``: it deletes exactly what IG measured against (the same baseline token, the
    same positions), so the check tests the attributions rather than a second perturbation;
    ``"remove"`` (the text without those pieces) is the more natural edit and 07 reports it too.
    """
    if how not in DELETIONS:
        raise ValueError(f"how must be one of {DELETIONS}, got {how!r}")
    drop = {int(p) for p in positions}
    if how == "remove":
        return [i for j, i in enumerate(ids) if j not in drop]
    new = tokenizer.pad_token_id if how == "pad" else tokenizer.mask_token_id
    if new is None:
        raise ValueError(f"how={how!r}: the tokenizer has no {how} token")
    return [new if j in drop else i for j, i in enumerate(ids)]


def token_deletion_check(model, tokenizer, texts: Sequence[str], labels: Sequence[int], ks: Sequence[int] = (1, 3),
                         how: str = "pad", n_steps: int = 20, max_length: int = 128, seed: int = 0,
                         method: str = "ig") -> pd.DataFrame:
    """One row per (text, k): probability of the true class ``original``, with the k pieces of largest
    attribution towards the true class deleted (``top_k``), with k random non-special pieces deleted
    (``random_k``, seeded per text). Texts with at most k non-special pieces are left out for that k.

    ``method``: ``"ig"`` (:func:`integrated_gradients`) or ``"gradient_x_input"`` (04's
    :func:`token_attributions`, the cheaper baseline 07_evaluation compares it with).
    ``how``: see :func:`delete_tokens`. ``ig_delta``: IG's completeness error (NaN for gradient x input).
    """
    import torch

    texts = list(texts)
    labels = [int(y) for y in labels]
    if len(texts) != len(labels) or not texts:
        raise ValueError(f"texts and labels: expected one label per text, got {len(texts)} texts, {len(labels)} labels")
    ks = [int(k) for k in ks]
    if not ks or any(k < 1 for k in ks):
        raise ValueError(f"ks must be a non-empty list of ints >= 1, got {ks}")
    if how not in DELETIONS:
        raise ValueError(f"how must be one of {DELETIONS}, got {how!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not isinstance(n_steps, int) or n_steps < 2:
        raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}")
    device = next(model.parameters()).device
    model.eval()

    def prob(ids: list[int], y: int) -> float:
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0]
        return float(torch.softmax(logits.float(), -1)[y])

    rows, t0 = [], time.perf_counter()
    for i, (text, y) in enumerate(zip(texts, labels)):
        ids, special = _encode(tokenizer, text, max_length)
        if method == "ig":
            scores, _, delta = _ig_scores(model, tokenizer, ids, special, y, n_steps)
        else:
            pairs = token_attributions(model, tokenizer, text, y, max_length, special_tokens=True)
            scores, delta = np.array([s for _, s in pairs]), float("nan")
        pieces = np.flatnonzero(~np.asarray(special))
        ranked = pieces[np.argsort(-scores[pieces], kind="stable")]
        shuffled = np.random.default_rng([seed, i]).permutation(pieces)
        p0 = prob(ids, y)
        for k in ks:
            if len(pieces) <= k:
                continue
            rows.append({"text": i, "k": k, "n_pieces": len(pieces), "label": y, "original": p0,
                         "top_k": prob(delete_tokens(ids, ranked[:k], tokenizer, how), y),
                         "random_k": prob(delete_tokens(ids, shuffled[:k], tokenizer, how), y), "ig_delta": delta})
    out = pd.DataFrame(rows, columns=["text", "k", "n_pieces", "label", "original", "top_k", "random_k", "ig_delta"])
    out.attrs.update({"how": how, "method": method, "seconds": time.perf_counter() - t0})
    return out
