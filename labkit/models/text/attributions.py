"""Token attributions of a fine-tuned text classifier: gradient x input (04; 07 checks their faithfulness)."""

from __future__ import annotations


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
