"""``predict``: a trained model's outputs for a whole loader, as one NumPy array.

Introduced in 03_lstm; reused by 04-07 (scores for evaluation and for the next notebook).
"""

from __future__ import annotations

import numpy as np
import torch

from .batches import call_model, split_batch, to_device, to_host


def _model_device(model: torch.nn.Module) -> torch.device:
    param = next(iter(model.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def predict(model: torch.nn.Module, loader, device: str | torch.device | None = None) -> np.ndarray:
    """Model outputs for every batch of ``loader``, concatenated into one NumPy array.

    Eval mode and no gradients; the model's train/eval mode is restored afterwards.
    Batches may carry targets (dropped) or be inputs only (a tensor, a 1-tuple or a dict
    without ``"target"``). ``device=None`` uses the device the model is on.
    Introduced in 03_lstm; reused by 04-07.
    """
    device = _model_device(model) if device is None else torch.device(device)
    was_training = model.training
    model.to(device).eval()
    outs = []
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, _ = split_batch(batch, need_target=False)
                out = call_model(model, to_device(inputs, device))
                if not isinstance(out, torch.Tensor):
                    raise TypeError(f"predict needs the model to return a tensor, got {type(out).__name__}")
                outs.append(to_host(out))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("loader yielded no batches")
    return torch.cat(outs).numpy()
