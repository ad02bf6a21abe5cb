"""labkit.training: exact resume, safe checkpoints, nan errors, early stopping, determinism, logs.

Tiny GRU models on synthetic tensors, CPU only, one pinned thread (the whole file runs in seconds).
One thread, not two: for models this small OpenMP's hand-offs cost more than they save,
and on a busy 2-core machine two spinning threads made these tests 10-30x slower.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from labkit.runtime import set_threads
from labkit.training import (TrainConfig, fit, latest_checkpoint, load_checkpoint, lr_factor, predict, run_paths,
                             save_checkpoint, tensor_loader)
from labkit.training.batches import LengthBucketSampler
from labkit.training.callbacks import progress_disabled
from labkit.training.checkpoint import list_checkpoints

N_TRAIN, N_VALID, SEQ, BATCH = 192, 64, 8, 32
STEPS = N_TRAIN // BATCH  # 6 optimizer steps per epoch
BASE = TrainConfig(epochs=4, lr=5e-3, device="cpu", seed=0, progress=False, verbose=False)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    set_threads(1)
    yield
    torch.set_num_threads(before)


def make_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(1, 20, (n, SEQ), generator=g)
    flags = torch.rand(n, SEQ, 2, generator=g)
    y = ((tokens[:, -1] > 10) ^ (flags[:, -1, 0] > 0.8)).float()
    return tokens, flags, y


TRAIN, VALID = make_data(N_TRAIN, 1), make_data(N_VALID, 2)


class TinyGRU(nn.Module):
    """Embedding + 2 flags -> GRU -> dropout -> logit, like 03's sequence models in miniature."""

    def __init__(self, nan_at_step: int | None = None) -> None:
        super().__init__()
        self.embed = nn.Embedding(21, 6)
        self.rnn = nn.GRU(8, 12, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(12, 1)
        self.nan_at_step, self.train_calls = nan_at_step, 0

    def forward(self, tokens: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(torch.cat([self.embed(tokens), flags], dim=-1))
        logit = self.head(self.drop(out[:, -1])).squeeze(-1)
        if self.training:
            self.train_calls += 1
            if self.train_calls == self.nan_at_step:
                logit = logit * float("nan")
        return logit


def new_model(init_seed: int = 0, **kwargs) -> TinyGRU:
    torch.manual_seed(init_seed)
    return TinyGRU(**kwargs)


def loaders(kind: str = "dataloader", shuffle_seed: int = 0):
    if kind == "dataloader":  # shuffles with torch's global RNG
        train = DataLoader(TensorDataset(*TRAIN), batch_size=BATCH, shuffle=True)
    else:  # shuffles with its own seeded torch.Generator
        train = tensor_loader(TRAIN, BATCH, shuffle=True, seed=shuffle_seed)
    return train, DataLoader(TensorDataset(*VALID), batch_size=N_VALID)


LOSS = nn.BCEWithLogitsLoss()


def params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs"


# --- exact resume ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dataloader", "tensor_loader"])
def test_resume_after_crash_is_bit_identical(tmp_path, kind):
    config = BASE.replace(grad_clip=1.0, patience=3, scheduler="cosine", warmup_steps=3, keep_checkpoints=10)
    straight_model = new_model()
    straight = fit(straight_model, *loaders(kind), LOSS, config.replace(checkpoint_dir=tmp_path / "a"))
    assert straight.epochs_run == 4 and not straight.stopped_early

    calls = {"n": 0}

    def crashing_loss(out, target):  # dies in the 3rd step of epoch 3, after 2 checkpoints
        if torch.is_grad_enabled():
            calls["n"] += 1
            if calls["n"] == 2 * STEPS + 3:
                raise RuntimeError("simulated crash")
        return LOSS(out, target)

    crashed, tb = tmp_path / "b", tmp_path / "tb"
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(new_model(), *loaders(kind), crashing_loss, config.replace(checkpoint_dir=crashed, tensorboard_dir=tb))
    assert latest_checkpoint(crashed).name == "epoch_0002.pt"

    # a fresh process would build everything anew: other init, other shuffle seed, new optimizer
    model = new_model(init_seed=123)
    again_config = config.replace(checkpoint_dir=crashed, tensorboard_dir=tb)
    result = fit(model, *loaders(kind, shuffle_seed=999), LOSS, again_config,
                 optimizer=torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0), resume=True)
    assert result.resumed_from == 3 and result.epochs_run == 4
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert [e.step for e in EventAccumulator(str(tb)).Reload().Scalars("loss/train")] == [1, 2, 3, 4]
    assert_same_weights(params(model), params(straight_model))  # best weights, restored
    last_a = load_checkpoint(tmp_path / "a" / "epoch_0004.pt")["model"]
    last_b = load_checkpoint(crashed / "epoch_0004.pt")["model"]
    assert_same_weights(last_a, last_b)  # final weights of the last epoch
    for key in ("train_loss", "valid_loss", "valid_metric", "lr", "grad_norm"):
        assert [r[key] for r in result.history] == [r[key] for r in straight.history], key
    assert result.best_epoch == straight.best_epoch

    # resuming a finished run trains nothing and restores the same best weights
    again = new_model(init_seed=7)
    done = fit(again, *loaders(kind), LOSS, config.replace(checkpoint_dir=crashed), resume=True)
    assert done.history == result.history
    assert_same_weights(params(again), params(straight_model))


def test_resume_refuses_a_different_run_and_starts_fresh_without_checkpoint(tmp_path, capsys):
    config = BASE.replace(epochs=1, checkpoint_dir=tmp_path, verbose=True)
    result = fit(new_model(), *loaders(), LOSS, config, resume=True)  # nothing to resume: starts at epoch 1
    assert result.resumed_from is None and "no checkpoint" in capsys.readouterr().out
    with pytest.raises(ValueError, match="lr"):
        fit(new_model(), *loaders(), LOSS, config.replace(epochs=2, lr=1e-2), resume=True)
    with pytest.raises(ValueError, match="steps per epoch"):
        small = DataLoader(TensorDataset(*TRAIN), batch_size=64, shuffle=True)
        fit(new_model(), small, loaders()[1], LOSS, config.replace(epochs=2), resume=True)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        fit(new_model(), *loaders(), LOSS, BASE, resume=True)


# --- checkpoints -----------------------------------------------------------------------

def test_checkpoints_load_with_weights_only_and_are_pruned_atomically(tmp_path):
    config = BASE.replace(epochs=3, scheduler="onecycle", checkpoint_dir=tmp_path, keep_checkpoints=2)
    fit(new_model(), *loaders("tensor_loader"), LOSS, config)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["epoch_0002.pt", "epoch_0003.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0002.pt", "epoch_0003.pt"]  # no temp files
    state = torch.load(tmp_path / "epoch_0003.pt", weights_only=True)
    assert state["epoch"] == 3 and len(state["history"]) == 3 and state["scheduler"]["last_epoch"] == 3 * STEPS
    assert set(state["rng"]) == {"python", "numpy", "torch", "cuda", "loaders"}
    assert isinstance(state["rng"]["numpy"]["keys"], torch.Tensor) and len(state["rng"]["loaders"][0]) == 1
    assert state["best_model"].keys() == state["model"].keys()
    with pytest.raises(TypeError, match=r"checkpoint\['rng'\]\['numpy'\].*numpy"):
        save_checkpoint({"rng": {"numpy": np.zeros(3)}}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


# --- failures --------------------------------------------------------------------------

def test_nan_loss_names_epoch_and_step(tmp_path):
    model = new_model(nan_at_step=STEPS + 3)  # 3rd step of epoch 2
    with pytest.raises(FloatingPointError, match=rf"epoch 2, step 3 of {STEPS}"):
        fit(model, *loaders(), LOSS, BASE.replace(checkpoint_dir=tmp_path))
    assert latest_checkpoint(tmp_path).name == "epoch_0001.pt"  # the last good epoch survives


@pytest.mark.parametrize("changes, field", [
    ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"weight_decay": -0.1}, "weight_decay"), ({"grad_clip": 0.0}, "grad_clip"), ({"patience": 0}, "patience"),
    ({"mode": "median"}, "mode"), ({"precision": "fp16"}, "precision"), ({"device": "tpu"}, "device"),
    ({"scheduler": "step"}, "scheduler"), ({"warmup_steps": -1, "scheduler": "cosine"}, "warmup_steps"),
    ({"warmup_steps": 10}, "warmup_steps"), ({"log_every": 0}, "log_every"), ({"batch_size": 0}, "batch_size"),
    ({"seed": 1.5}, "seed"), ({"keep_checkpoints": 0}, "keep_checkpoints"), ({"checkpoint_dir": ""}, "checkpoint_dir"),
    ({"progress": "yes"}, "progress"), ({"epochs": True}, "epochs"),
])
def test_bad_config_values_raise_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field}\b"):
        TrainConfig(**changes)


def test_bad_fit_arguments():
    with pytest.raises(ValueError, match="mode='min'"):
        fit(new_model(), *loaders(), LOSS, BASE.replace(mode="min"))
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        BASE.replace(epoch=3)
    with pytest.raises(ValueError, match="target"):
        fit(nn.Linear(2, 1), DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=2), None, LOSS, BASE)
    with pytest.raises(ValueError, match="scalar"):
        fit(new_model(), *loaders(), nn.BCEWithLogitsLoss(reduction="none"), BASE)


# --- early stopping, determinism, clipping ---------------------------------------------

@pytest.mark.parametrize("mode, values", [("max", [0.5, 0.9, 0.7, 0.6, 0.95]), ("min", [3.0, 1.0, 2.0, 1.5, 0.5])])
def test_early_stopping_stops_and_restores_the_best_weights(mode, values):
    model, snapshots = new_model(), []

    def metric(outputs, targets):  # a scripted metric; remembers the weights it was computed on
        assert isinstance(outputs, np.ndarray) and outputs.shape == targets.shape == (N_VALID,)
        snapshots.append(params(model))
        return values[len(snapshots) - 1]

    result = fit(model, *loaders(), LOSS, BASE.replace(epochs=5, patience=2, mode=mode), metric_fn=metric)
    assert result.stopped_early and result.epochs_run == 4 and result.best_epoch == 2
    assert result.best_metric == values[1] and [r["improved"] for r in result.history] == [True, True, False, False]
    assert_same_weights(params(model), snapshots[1])
    assert not torch.equal(params(model)["head.weight"], snapshots[3]["head.weight"])


def test_same_seed_same_weights_other_seed_other_weights():
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        model = new_model()
        fit(model, *loaders(), LOSS, BASE.replace(epochs=2, seed=seed))
        runs[name] = params(model)
    assert_same_weights(runs["a"], runs["b"])
    assert not all(torch.equal(runs["a"][k], runs["c"][k]) for k in runs["a"])


def test_grad_clip_bounds_the_norm_the_optimizer_sees():
    def run(grad_clip):
        model, norms = new_model(), []

        def hook(optimizer, args, kwargs):
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer.register_step_pre_hook(hook)
        result = fit(model, *loaders(), LOSS, BASE.replace(epochs=2, grad_clip=grad_clip), optimizer=optimizer)
        return norms, result

    clipped, result = run(0.05)
    assert len(clipped) == 2 * STEPS and max(clipped) <= 0.05 * (1 + 1e-5)
    assert all(r["grad_norm"] > 0.05 for r in result.history)  # clipping really happened
    free, result = run(None)
    assert max(free) > 0.05 and result.history[0]["grad_norm"] is None


# --- logging, schedules, helpers -------------------------------------------------------

def test_tensorboard_event_files_hold_the_epoch_scalars(tmp_path):
    fit(new_model(), *loaders(), LOSS, BASE.replace(epochs=2, tensorboard_dir=tmp_path / "tb"))
    files = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb")).Reload()
    for tag in ("loss/train", "loss/valid", "metric/valid", "lr", "throughput/samples_per_s"):
        assert [e.step for e in events.Scalars(tag)] == [1, 2], tag


def test_history_throughput_and_scheduler(capsys):
    result = fit(new_model(), *loaders(), LOSS, BASE.replace(epochs=2, scheduler="cosine", warmup_steps=2,
                                                             verbose=True))
    out = capsys.readouterr().out
    assert "epoch 2/2: train loss" in out and "restored" in out and "samples" not in out  # no timings printed
    for rec in result.history:
        assert rec["samples_per_s"] == pytest.approx(N_TRAIN / rec["train_seconds"]) and rec["seconds"] > 0
        assert math.isfinite(rec["train_loss"]) and rec["valid_metric"] == -rec["valid_loss"]
    assert result.history[-1]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert list(result.frame().index) == [1, 2]
    assert lr_factor(0, 100, "cosine", 10) < lr_factor(9, 100, "cosine", 10) == 1.0 > lr_factor(50, 100, "cosine", 10)
    assert lr_factor(0, 100, "onecycle") == pytest.approx(1 / 25) and lr_factor(30, 100, "onecycle") == 1.0
    assert lr_factor(99, 100, "onecycle") < 1e-3 and lr_factor(5, 10, None) == 1.0


def test_bf16_autocast_on_cpu_and_no_validation():
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1), nn.Flatten(0))
    x = torch.randn(64, 3)
    train = DataLoader(TensorDataset(x, x.sum(1)), batch_size=16)
    result = fit(model, train, None, nn.MSELoss(), BASE.replace(epochs=2, precision="bf16"))
    assert result.best_epoch == 2 and result.history[0]["valid_loss"] is None
    assert math.isfinite(result.history[-1]["train_loss"])


def test_predict_concatenates_in_eval_mode_and_restores_the_mode():
    model = new_model()
    tokens, flags, _ = VALID
    out = predict(model, DataLoader(TensorDataset(*VALID), batch_size=10))
    model.eval()
    with torch.no_grad():
        expected = model(tokens, flags).numpy()
    model.train()
    assert out.shape == (N_VALID,) and out.dtype == np.float32 and np.allclose(out, expected, atol=1e-6)
    assert model.training

    class DictModel(nn.Module):  # 03's sequence models take one dict of fields
        def forward(self, batch):
            assert "target" not in batch
            return batch["a"] + batch["b"]

    data = {"a": np.arange(5.0), "b": np.ones(5), "target": np.zeros(5)}
    assert np.array_equal(predict(DictModel(), tensor_loader(data, 2)), np.arange(5.0) + 1)
    assert np.array_equal(predict(DictModel(), tensor_loader(({"a": np.arange(5.0), "b": np.ones(5)},
                                                              np.zeros(5)), 4)), np.arange(5.0) + 1)
    assert np.array_equal(predict(nn.Identity(), DataLoader(TensorDataset(torch.arange(3.0)), batch_size=2)),
                          np.arange(3.0))


def test_tensor_loader_batches_and_seeded_shuffle():
    data = ({"x": np.arange(10), "y": np.arange(10) * 2}, np.arange(10.0))
    batches = list(tensor_loader(data, 4))
    assert len(batches) == 3 and batches[-1][1].tolist() == [8.0, 9.0]
    assert batches[0][0]["y"].tolist() == [0, 2, 4, 6]
    order = [b[1].tolist() for b in tensor_loader(data, 4, shuffle=True, seed=3)]
    assert order == [b[1].tolist() for b in tensor_loader(data, 4, shuffle=True, seed=3)]
    assert sorted(sum(order, [])) == list(np.arange(10.0))
    with pytest.raises(ValueError, match="same number of rows"):
        tensor_loader((np.arange(3), np.arange(4)), 2)
    with pytest.raises(ValueError, match="batch_size"):
        tensor_loader(np.arange(3), 0)


def test_length_bucket_sampler_pads_less_and_keeps_the_batch_order_random():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 60, 1000)
    sampler = LengthBucketSampler(lengths, batch_size=16, seed=1, bucket=8)
    epochs = [list(sampler) for _ in range(3)]
    assert all(sorted(e) == list(range(1000)) for e in epochs)  # every text once per epoch
    assert epochs[0] != epochs[1]  # a new order each epoch ...
    assert list(LengthBucketSampler(lengths, 16, seed=1, bucket=8)) == epochs[0]  # ... from the seed

    def padded(order):  # tokens a batch costs with dynamic padding, over the real tokens
        b = [lengths[order[i: i + 16]] for i in range(0, len(order), 16)]
        return sum(x.max() * len(x) for x in b) / lengths.sum()

    # (a short batch in the middle of an epoch would shift every later batch of the loader)
    assert padded(epochs[0]) < 1.15 < 1.4 < padded(rng.permutation(1000))
    first_len = [lengths[e[0]] for e in epochs]  # the first batch is not always the longest or shortest
    assert len(set(first_len)) > 1
    batch_means = [lengths[epochs[0][i: i + 16]].mean() for i in range(0, 1000, 16)]
    assert not (np.all(np.diff(batch_means) <= 0) or np.all(np.diff(batch_means) >= 0))  # not sorted overall
    with pytest.raises(ValueError, match="batch_size and bucket"):
        LengthBucketSampler(lengths, 0)
    with pytest.raises(ValueError, match="lengths"):
        LengthBucketSampler([], 4)


def test_run_paths_and_progress_switch(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    monkeypatch.delenv("LABKIT_RUNS_DIR", raising=False)  # make test sets it
    ckpt, tb = run_paths("quick", "lstm")
    assert ckpt == tmp_path / "runs" / "quick" / "checkpoints" / "lstm"
    assert tb == tmp_path / "runs" / "quick" / "tensorboard" / "lstm"
    with pytest.raises(ValueError, match="run_name"):
        run_paths("quick", "../x")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress_disabled(True)
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert not progress_disabled(True) and progress_disabled(False)


def test_tensorboard_scalars_read_back_the_epochs_fit_logged(tmp_path, one_torch_thread):
    from labkit.training import tensorboard_scalars

    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(3, 1)

        def forward(self, batch):
            return self.layer(batch["x"]).squeeze(1)

    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    data = {"x": x, "target": (x[:, 0] > 0).float()}
    result = fit(Linear(), tensor_loader(data, 16, shuffle=True, seed=0), tensor_loader(data, 64),
                 torch.nn.BCEWithLogitsLoss(), TrainConfig(epochs=3, tensorboard_dir=tmp_path, progress=False,
                                                           verbose=False))
    curves = tensorboard_scalars(tmp_path)
    assert list(curves.index) == [1, 2, 3]
    assert curves["loss/train"].tolist() == pytest.approx([r["train_loss"] for r in result.history])
    assert curves["loss/valid"].tolist() == pytest.approx([r["valid_loss"] for r in result.history])
    with pytest.raises(FileNotFoundError, match="no TensorBoard event file"):
        tensorboard_scalars(tmp_path / "empty")
