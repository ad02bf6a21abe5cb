"""LSTM/GRU purchase-intent classifier over a user's last events plus static features (03_lstm).

Each event slot becomes embeddings of event type, product, category, dwell bucket, gap
bucket and hours-before bucket, plus (``relations=True``) the four 0/1 relation flags
(seen_before, carted_before, same_session, same_category). The sequences are stored
left-padded (the newest event last); the model right-aligns them inside ``forward`` and
reads the recurrent output at each row's last real event, so any amount of padding
leaves the output unchanged. That state, concatenated with the standardized static
user features, goes through a small MLP to one logit.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from ...training import TrainConfig, fit, tensor_loader
from .data import SEQ_FIELDS, IntentData

HOURS_EDGES = (1, 3, 6, 12, 24, 48, 96, 168, 336, 720, 2160, 4380)  # -> buckets 1..13, 0 = padding
N_EVENT_TYPES, N_CATEGORIES, N_DWELL, N_GAP = 5, 6, 8, 11
RELATIONS = ("seen_before", "carted_before", "same_session", "same_category")


@contextmanager
def no_memory_fill():
    """Skip the NaN-filling of fresh tensors that deterministic mode (``seed_everything``) turns on:
    on CPU it costs about a quarter of an LSTM step and changes no result."""
    import torch.utils.deterministic as det

    old = det.fill_uninitialized_memory
    det.fill_uninitialized_memory = False
    try:
        yield
    finally:
        det.fill_uninitialized_memory = old


class StaticScaler:
    """Signed log1p, then standardize with train means/stds, then clip to +-``clip`` (counts are heavy-tailed)."""

    def __init__(self, clip: float = 5.0) -> None:
        self.clip = clip
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    @staticmethod
    def _log(X: np.ndarray) -> np.ndarray:
        X = np.nan_to_num(np.asarray(X, dtype=np.float64))
        return np.sign(X) * np.log1p(np.abs(X))

    def fit(self, X: np.ndarray) -> "StaticScaler":
        Z = self._log(X)
        self.mean_, std = Z.mean(0), Z.std(0)
        self.std_ = np.where(std > 1e-9, std, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.mean_ is None:
            raise ValueError("StaticScaler: call fit first")
        return np.clip((self._log(X) - self.mean_) / self.std_, -self.clip, self.clip).astype(np.float32)


class SequenceClassifier(nn.Module):
    """Embeddings per event -> LSTM/GRU -> last real event's state (+ static features) -> MLP -> logit."""

    def __init__(self, n_products: int, n_static: int, hidden: int = 64, layers: int = 2, cell: str = "lstm",
                 relations: bool = True, use_static: bool = True, dropout: float = 0.1,
                 product_dim: int = 16) -> None:
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        if layers not in (1, 2):
            raise ValueError(f"layers must be 1 or 2, got {layers}")
        if n_products < 1 or hidden < 1 or (use_static and n_static < 1):
            raise ValueError(f"need n_products >= 1, hidden >= 1 and n_static >= 1 with static features; "
                             f"got {n_products}, {hidden}, {n_static}")
        self.relations, self.use_static, self.cell = relations, use_static, cell
        self.emb = nn.ModuleDict({
            "event_type": nn.Embedding(N_EVENT_TYPES + 1, 8, padding_idx=0),
            "product": nn.Embedding(n_products + 1, product_dim, padding_idx=0),
            "category": nn.Embedding(N_CATEGORIES + 1, 4, padding_idx=0),
            "dwell_bucket": nn.Embedding(N_DWELL + 1, 4, padding_idx=0),
            "gap_bucket": nn.Embedding(N_GAP + 1, 4, padding_idx=0),
            "hours_before": nn.Embedding(len(HOURS_EDGES) + 2, 8, padding_idx=0),
        })
        self.register_buffer("hours_edges", torch.tensor(HOURS_EDGES, dtype=torch.float32), persistent=False)
        n_in = sum(e.embedding_dim for e in self.emb.values()) + (len(RELATIONS) if relations else 0)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(n_in, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        n_head = hidden + (n_static if use_static else 0)
        self.head = nn.Sequential(nn.Linear(n_head, 128), nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits (n,) of a batch: the SEQ_FIELDS as (n, seq_len) left-padded tensors, plus
        ``static`` (n, n_static) standardized features when the model uses them."""
        mask = batch["mask"].bool()
        n, width = mask.shape
        lengths = mask.sum(1)
        steps = max(int(lengths.max()), 1)
        j = torch.arange(steps, device=mask.device)
        valid = j[None, :] < lengths[:, None]  # right-aligned: the real events first
        pos = (j[None, :] + (width - lengths)[:, None]).clamp(max=width - 1)

        def take(name: str) -> torch.Tensor:
            return batch[name].gather(1, pos).long() * valid

        hours = torch.bucketize(take("hours_before").float(), self.hours_edges, right=True) + 1
        parts = [self.emb[k](take(k)) for k in ("event_type", "product", "category", "dwell_bucket", "gap_bucket")]
        parts.append(self.emb["hours_before"](hours * valid))
        if self.relations:
            parts.append(torch.stack([take(k) for k in RELATIONS], -1).float())
        x = torch.cat(parts, -1) * valid[..., None]
        out, _ = self.rnn(x)
        last = out[torch.arange(n, device=out.device), (lengths - 1).clamp(min=0)] * (lengths > 0)[:, None]
        z = torch.cat([last, batch["static"]], 1) if self.use_static else last
        return self.head(z).squeeze(1)


@dataclass(frozen=True)
class SeqConfig:
    """Training settings of one sequence model run (one configuration of the tuning budget)."""

    lr: float = 2e-3
    epochs: int = 3
    batch_size: int = 256
    weight_decay: float = 1e-5
    dropout: float = 0.1
    last_events: int | None = None  # keep only the newest slots (None: the profile's seq_len)
    max_train_rows: int | None = None  # subsample training rows (seeded) to fit a time budget
    max_valid_rows: int | None = None  # validation rows scored after each epoch (seeded sample; None: all)
    grad_clip: float = 1.0


@dataclass
class SequenceModel:
    """A trained sequence classifier with its scaler and record; ``predict(data)`` -> probabilities."""

    model: SequenceClassifier
    scaler: StaticScaler
    config: SeqConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_valid_auc: float = float("nan")
    train_seconds: float = 0.0
    samples_per_s: float = 0.0

    def predict(self, data: IntentData, batch_size: int = 2048) -> np.ndarray:
        if self.config.last_events:
            data = data.last_events(min(self.config.last_events, data.seq_len))
        with no_memory_fill():
            return predict_proba(self.model, to_tensors(data, self.scaler), batch_size)

    def summary(self) -> dict[str, object]:
        return {**asdict(self.config), "best_valid_auc": self.best_valid_auc,
                "train_seconds": self.train_seconds, "samples_per_s": self.samples_per_s}


def to_tensors(data: IntentData, scaler: StaticScaler) -> dict[str, torch.Tensor]:
    """Batch-ready tensors of every row (sequences keep their small integer dtypes)."""
    out = {k: torch.from_numpy(np.ascontiguousarray(data.seqs[k])) for k in SEQ_FIELDS}
    out["static"] = torch.from_numpy(scaler.transform(data.X))
    return out


@torch.no_grad()
def predict_proba(model: nn.Module, tensors: dict[str, torch.Tensor], batch_size: int = 2048) -> np.ndarray:
    model.eval()
    n = len(tensors["mask"])
    out = [torch.sigmoid(model({k: v[i:i + batch_size] for k, v in tensors.items()})) for i in range(0, n, batch_size)]
    return torch.cat(out).double().numpy() if out else np.zeros(0)


def fit_sequence_classifier(train: IntentData, valid: IntentData, config: SeqConfig = SeqConfig(),
                            cell: str = "lstm", hidden: int = 64, layers: int = 2, relations: bool = True,
                            use_static: bool = True, seed: int = 0, verbose: bool = True,
                            run_dir: tuple[object, object] | None = None) -> SequenceModel:
    """Train with :func:`labkit.training.fit` (Adam, cosine decay, gradient clipping); keep the best-AUC epoch.

    ``run_dir``: ``(checkpoint_dir, tensorboard_dir)`` from :func:`labkit.training.run_paths`
    to write a checkpoint per epoch and TensorBoard logs (default: neither).
    """
    from sklearn.metrics import roc_auc_score

    if config.max_train_rows and config.max_train_rows < len(train):
        train = train.sample_rows(config.max_train_rows, seed=seed)
    if config.max_valid_rows and config.max_valid_rows < len(valid):
        valid = valid.sample_rows(config.max_valid_rows, seed=seed + 1)
    if config.last_events:
        train, valid = (d.last_events(min(config.last_events, d.seq_len)) for d in (train, valid))
    torch.manual_seed(seed)
    scaler = StaticScaler().fit(train.X)
    tr, va = to_tensors(train, scaler), to_tensors(valid, scaler)
    tr["target"] = torch.from_numpy(train.y.astype(np.float32))
    va["target"] = torch.from_numpy(valid.y.astype(np.float32))
    model = SequenceClassifier(train.n_products, train.X.shape[1], hidden, layers, cell, relations, use_static,
                               config.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    ckpt, tb = run_dir if run_dir is not None else (None, None)
    tc = TrainConfig(epochs=config.epochs, lr=config.lr, weight_decay=config.weight_decay,
                     batch_size=config.batch_size, grad_clip=config.grad_clip, scheduler="cosine", seed=seed,
                     checkpoint_dir=ckpt, tensorboard_dir=tb, progress=False, verbose=verbose)
    with no_memory_fill():
        res = fit(model, tensor_loader(tr, config.batch_size, shuffle=True, seed=seed), tensor_loader(va, 4096),
                  nn.BCEWithLogitsLoss(), tc, metric_fn=lambda out, y: roc_auc_score(y, out), optimizer=opt)
    model.eval()
    result = SequenceModel(model, scaler, config)
    result.history = [{"epoch": r["epoch"], "train_loss": r["train_loss"], "valid_auc": r["valid_metric"]}
                      for r in res.history]
    result.best_valid_auc = float(res.best_metric)
    result.train_seconds = float(sum(r["train_seconds"] for r in res.history))
    result.samples_per_s = len(res.history) * len(train) / max(result.train_seconds, 1e-9)
    return result


def tune_sequence_classifier(train: IntentData, valid: IntentData, configs: list[SeqConfig],
                             **kwargs: object) -> tuple[SequenceModel, list[dict[str, object]]]:
    """Train one model per configuration; return the best by validation AUC and every run's summary."""
    if not configs:
        raise ValueError("configs: need at least one SeqConfig")
    runs = [fit_sequence_classifier(train, valid, c, **kwargs) for c in configs]
    best = max(runs, key=lambda r: r.best_valid_auc)
    return best, [r.summary() for r in runs]
