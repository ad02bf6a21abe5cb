"""Benchmark: training throughput of notebook 03's LSTM through ``labkit.training.fit``.

A 2-layer LSTM (hidden 64) over embedded event sequences like 03's: event type (5),
product (1,000, the ``gpu`` profile's catalogue) and category (6) embeddings plus 4 binary
flags, one logit per sequence, ``BCEWithLogitsLoss``. Random data, 2 epochs per case, at
sequence lengths 30 and 64 and batch sizes 256 and 1024: on the CPU with 2 pinned
threads (fp32), and on CUDA when available (bf16 autocast, as ``fit`` chooses, and fp32
for comparison). Throughput is training samples per second of an epoch's training
phase (data loading, forward, backward, clipping and optimizer step; validation and
checkpointing excluded); the second epoch is the steady-state number.

    .venv/bin/python benchmarks/bench_lstm.py                 # CPU (+ CUDA if present)
    .venv/bin/python benchmarks/bench_lstm.py --devices cpu --threads 2
    .venv/bin/python benchmarks/bench_lstm.py --quick         # tiny smoke run

Results go to ``benchmarks/out/lstm.json`` (``lstm_quick.json`` with ``--quick``) and a
Markdown table is printed. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "lstm.json"
N_EVENT_TYPES, N_PRODUCTS, N_CATEGORIES, N_FLAGS = 5, 1000, 6, 4
SEQ_LENS = (30, 64)
BATCH_SIZES = (256, 1024)
EPOCHS = 2
# training rows per case: enough steps per epoch for a stable number on each device
N_TRAIN = {"cpu": 8192, "cuda": 131072}
QUICK = {"seq_lens": (6,), "batch_sizes": (16, 32), "n_train": 128, "hidden": 8}
ROW_KEYS = ("device", "precision", "threads", "seq_len", "batch_size", "n_train", "epoch1_samples_per_s",
            "samples_per_s", "epoch_seconds", "train_loss")


def build_model(hidden: int = 64):
    """03-style sequence model: three embeddings + 4 flags -> 2-layer LSTM -> logit."""
    import torch
    from torch import nn

    class EventLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.event_type = nn.Embedding(N_EVENT_TYPES + 1, 8, padding_idx=0)
            self.product = nn.Embedding(N_PRODUCTS + 1, 32, padding_idx=0)
            self.category = nn.Embedding(N_CATEGORIES + 1, 8, padding_idx=0)
            self.lstm = nn.LSTM(8 + 32 + 8 + N_FLAGS, hidden, num_layers=2, batch_first=True, dropout=0.1)
            self.head = nn.Linear(hidden, 1)

        def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:  # one dict of fields, like 03's models
            x = torch.cat([self.event_type(batch["event_type"]), self.product(batch["product"]),
                           self.category(batch["category"]), batch["flags"]], -1)
            out, _ = self.lstm(x)
            return self.head(out[:, -1]).squeeze(-1)

    return EventLSTM()


def make_data(n: int, seq_len: int, seed: int = 0):
    """Random 03-like inputs (dict of int64 codes and float flags) and 0/1 targets."""
    import torch

    g = torch.Generator().manual_seed(seed)
    inputs = {
        "event_type": torch.randint(1, N_EVENT_TYPES + 1, (n, seq_len), generator=g),
        "product": torch.randint(1, N_PRODUCTS + 1, (n, seq_len), generator=g),
        "category": torch.randint(1, N_CATEGORIES + 1, (n, seq_len), generator=g),
        "flags": torch.randint(0, 2, (n, seq_len, N_FLAGS), generator=g).float(),
    }
    return inputs, torch.randint(0, 2, (n,), generator=g).float()


def run_case(device: str, precision: str, seq_len: int, batch_size: int, n_train: int, hidden: int = 64,
             threads: int | None = None) -> dict[str, object]:
    """Train 2 epochs through ``fit`` and return one result row."""
    import torch

    from labkit.training import TrainConfig, fit, tensor_loader
    from labkit.training.batches import to_device

    inputs, y = make_data(n_train, seq_len)
    valid = make_data(batch_size, seq_len, seed=1)
    if device == "cuda":  # keep the data on the GPU: batches are then sliced there, as a notebook would
        inputs, y, valid = to_device(inputs, torch.device("cuda")), y.cuda(), to_device(valid, torch.device("cuda"))
    torch.manual_seed(0)
    model = build_model(hidden)
    config = TrainConfig(epochs=EPOCHS, lr=1e-3, grad_clip=1.0, batch_size=batch_size, device=device,
                         precision=precision, seed=0, progress=False, verbose=False)
    result = fit(model, tensor_loader((inputs, y), batch_size, shuffle=True, seed=0),
                 tensor_loader(valid, batch_size), torch.nn.BCEWithLogitsLoss(), config)
    first, last = result.history[0], result.history[-1]
    return {
        "device": device, "precision": "bf16" if (precision == "auto" and device == "cuda") else
        ("fp32" if precision == "auto" else precision), "threads": threads if device == "cpu" else None,
        "seq_len": seq_len, "batch_size": batch_size, "n_train": n_train,
        "epoch1_samples_per_s": round(first["samples_per_s"], 1), "samples_per_s": round(last["samples_per_s"], 1),
        "epoch_seconds": round(last["train_seconds"], 3), "train_loss": round(last["train_loss"], 4),
    }


def _machine() -> dict[str, object]:
    import torch

    info = {"platform": platform.platform(), "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "machine": platform.machine(), "torch": torch.__version__, "cuda": None}
    if torch.cuda.is_available():
        info["cuda"] = {"device": torch.cuda.get_device_name(0), "version": torch.version.cuda,
                        "cudnn": torch.backends.cudnn.version()}
    return info


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def run_benchmark(devices: tuple[str, ...] = ("cpu", "cuda"), threads: int = 2, quick: bool = False,
                  cuda_precisions: tuple[str, ...] = ("auto", "fp32"), verbose: bool = False) -> dict[str, object]:
    """Every (device, precision, seq_len, batch) case in order; CUDA is skipped when unavailable."""
    import torch

    from labkit.runtime import set_threads

    set_threads(threads)
    seq_lens, batch_sizes = (QUICK["seq_lens"], QUICK["batch_sizes"]) if quick else (SEQ_LENS, BATCH_SIZES)
    hidden = QUICK["hidden"] if quick else 64
    plan = []
    for device in devices:
        if device == "cuda" and not torch.cuda.is_available():
            continue
        for precision in (cuda_precisions if device == "cuda" else ("auto",)):
            plan += [(device, precision, s, b) for s in seq_lens for b in batch_sizes]
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows, load_before, start = [], _load(), time.perf_counter()
    for device, precision, seq_len, batch in plan:
        n_train = QUICK["n_train"] if quick else N_TRAIN[device]
        row = run_case(device, precision, seq_len, batch, n_train, hidden, threads)
        rows.append(row)
        if verbose:
            print(f"{device} {row['precision']} seq {seq_len} batch {batch}: {row['samples_per_s']:,.0f} samples/s",
                  file=sys.stderr, flush=True)
    return {
        "benchmark": "lstm_training_throughput", "quick": quick, "epochs": EPOCHS, "hidden": hidden, "layers": 2,
        "date": started, "threads": threads,
        "load_before": load_before, "load_after": _load(), "seconds": round(time.perf_counter() - start, 1),
        "machine": _machine(), "rows": rows,
    }


def markdown_table(result: dict[str, object]) -> str:
    """The rows as a Markdown table (steady-state = second epoch)."""
    lines = ["| device | precision | seq len | batch | train rows | samples/s (epoch 2) | samples/s (epoch 1) "
             "| s/epoch | train loss |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        dev = f"cpu ({r['threads']} thread{'s' if r['threads'] != 1 else ''})" if r["device"] == "cpu" else r["device"]
        lines.append(f"| {dev} | {r['precision']} | {r['seq_len']} | {r['batch_size']:,} | {r['n_train']:,} "
                     f"| {r['samples_per_s']:,.0f} | {r['epoch1_samples_per_s']:,.0f} | {r['epoch_seconds']:.2f} "
                     f"| {r['train_loss']:.4f} |")
    busy = (result["load_before"] or 0) >= 0.5 * (result["machine"]["cpu_count"] or 1)
    lines.append(f"\nload average {result['load_before']} before, {result['load_after']} after; "
                 f"{result['seconds']} s in all" + ("; the machine was BUSY: CPU numbers are pessimistic"
                                                     if busy else ""))
    return "\n".join(lines)


def write_result(result: dict[str, object], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated: cpu,cuda (cuda skipped if absent)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads to pin (default 2)")
    parser.add_argument("--cuda-precisions", default="auto,fp32", help="auto (= bf16 on CUDA) and/or fp32")
    parser.add_argument("--quick", action="store_true", help="tiny cases (smoke test)")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON output (default {DEFAULT_OUT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    devices = tuple(d.strip() for d in args.devices.split(",") if d.strip())
    bad = sorted(set(devices) - {"cpu", "cuda"})
    if bad:
        raise SystemExit(f"unknown device(s) {bad}; expected cpu and/or cuda")
    precisions = tuple(p.strip() for p in args.cuda_precisions.split(",") if p.strip())
    result = run_benchmark(devices, args.threads, args.quick, precisions, verbose=True)
    out = args.out or (DEFAULT_OUT.with_name("lstm_quick.json") if args.quick else DEFAULT_OUT)
    print(markdown_table(result))
    print(f"\nwritten: {write_result(result, out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
