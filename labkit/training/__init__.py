"""The course's small training loop in plain PyTorch (introduced in 03_lstm; reused by 04, 05, 06).

``fit`` trains with early stopping, gradient clipping, bf16 autocast on CUDA, a
learning-rate schedule, TensorBoard logs and per-epoch checkpoints that resume
bit-identically on CPU; ``predict`` returns a model's outputs as one NumPy array.
Why not Lightning: see ``loop.py`` -- the loop is what the course teaches, so it is one
readable file with no hidden magic.

    from labkit.training import TrainConfig, fit, predict, run_paths, tensor_loader
    ckpt, tb = run_paths("quick", "lstm")
    config = TrainConfig(epochs=3, lr=1e-3, grad_clip=1.0, patience=2, checkpoint_dir=ckpt, tensorboard_dir=tb)
    result = fit(model, train_loader, valid_loader, torch.nn.BCEWithLogitsLoss(), config, metric_fn=auc)
"""

from .batches import ArrayBatches, tensor_loader
from .callbacks import EarlyStopping, tensorboard_scalars
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig, TrainResult, run_paths
from .loop import fit
from .predict import predict
from .schedules import lr_factor, make_scheduler

__all__ = [
    "ArrayBatches", "EarlyStopping", "TrainConfig", "TrainResult", "fit", "latest_checkpoint", "load_checkpoint",
    "lr_factor", "make_scheduler", "predict", "run_paths", "save_checkpoint", "tensor_loader", "tensorboard_scalars",
]
