"""Benchmark: MiniLM (6 layers, hidden 384) fine-tuning and inference throughput for 04_bert.

Fine-tuning: forward, backward and AdamW step of ``AutoModelForSequenceClassification``
(3 labels) on batches of ``--batch-size`` texts that fill exactly ``max_length`` tokens
(worst case of dynamic padding), after one warm-up step; samples per second.
Inference: ``labkit.models.text.bert.predict_proba`` on texts of the same length; sentences
per second. Lengths 64 and 128. On the CPU with ``--threads`` pinned threads (default 1:
on the course's 2-core machine two threads beside another busy process are many times
slower); on CUDA also, with bf16 autocast as ``fine_tune`` chooses.

    .venv/bin/python benchmarks/bench_bert.py               # CPU (+ CUDA if present)
    .venv/bin/python benchmarks/bench_bert.py --quick       # a few steps, smoke run
    .venv/bin/python benchmarks/bench_bert.py --devices cpu --threads 1

Results go to ``benchmarks/out/bert.json`` (``bert_quick.json`` with ``--quick``) and a
Markdown table is printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_OUT = HERE / "out" / "bert.json"
LENGTHS = (64, 128)
STEPS = {"cpu": 6, "cuda": 40}  # timed training steps per case
INFER_BATCHES = {"cpu": 6, "cuda": 40}
QUICK = {"steps": 2, "infer_batches": 2}
ROW_KEYS = ("device", "precision", "threads", "max_length", "batch_size", "train_samples_per_s",
            "infer_sentences_per_s", "train_seconds", "infer_seconds")


def _texts(n: int, length: int, seed: int = 0) -> list[str]:
    """Texts of common words long enough to fill ``length`` word pieces after truncation."""
    import numpy as np

    words = ("the dress fits well but the fabric feels cheap and the colour is not what i expected "
             "delivery was quick and the price was fair").split()
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, length)) for _ in range(n)]


def run_case(device: str, max_length: int, batch_size: int, steps: int, infer_batches: int,
             bf16: bool) -> dict[str, object]:
    """Time training steps and inference of MiniLM at one length."""
    import torch

    from labkit.models.text import bert

    model, tok = bert.load_classifier(None, num_labels=3, seed=0)
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    texts = _texts(batch_size * (steps + 1), max_length)
    labels = torch.arange(batch_size, device=device) % 3
    batches = [tok(texts[i * batch_size:(i + 1) * batch_size], truncation=True, max_length=max_length,
                   padding="max_length", return_tensors="pt") for i in range(steps + 1)]
    amp = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if bf16 else torch.autocast("cpu", enabled=False)

    def step(enc) -> None:
        with amp:
            loss = model(**{k: v.to(device) for k, v in enc.items()}, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step(batches[0])  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for enc in batches[1:]:
        step(enc)
    if device == "cuda":
        torch.cuda.synchronize()
    train_s = time.perf_counter() - t0
    model.eval()
    if bf16:
        model.to(torch.bfloat16)
    infer_texts = _texts(64 * infer_batches, max_length, seed=1)
    bert.predict_proba(model, tok, infer_texts[:64], max_length=max_length, batch_size=64)  # warm-up
    t0 = time.perf_counter()
    bert.predict_proba(model, tok, infer_texts, max_length=max_length, batch_size=64)
    if device == "cuda":
        torch.cuda.synchronize()
    infer_s = time.perf_counter() - t0
    return {"device": device, "precision": "bf16" if bf16 else "fp32", "threads": torch.get_num_threads(),
            "max_length": max_length, "batch_size": batch_size,
            "train_samples_per_s": round(batch_size * steps / train_s, 1),
            "infer_sentences_per_s": round(len(infer_texts) / infer_s, 1),
            "train_seconds": round(train_s, 2), "infer_seconds": round(infer_s, 2)}


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run every case, write the JSON, print a Markdown table."""
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", nargs="+", default=None, help="cpu and/or cuda (default: cpu, + cuda if present)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    ap.add_argument("--quick", action="store_true", help="two steps per case (smoke run)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    devices = a.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    rows = []
    for device in devices:
        precisions = [False] if device == "cpu" else [True, False]
        for bf16 in precisions:
            for length in a.lengths:
                steps = QUICK["steps"] if a.quick else STEPS[device]
                infer = QUICK["infer_batches"] if a.quick else INFER_BATCHES[device]
                rows.append(run_case(device, length, a.batch_size, steps, infer, bf16))
                print(rows[-1], flush=True)
    result = {"benchmark": "bert_minilm", "quick": a.quick, "rows": rows, "python": platform.python_version(),
              "torch": torch.__version__, "machine": platform.machine(), "when": _dt.datetime.now().isoformat()}
    out = a.out or (DEFAULT_OUT.with_name("bert_quick.json") if a.quick else DEFAULT_OUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print("\n| device | precision | threads | max_length | batch | train samples/s | inference sentences/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['device']} | {r['precision']} | {r['threads']} | {r['max_length']} | {r['batch_size']} "
              f"| {r['train_samples_per_s']} | {r['infer_sentences_per_s']} |")
    return result


if __name__ == "__main__":
    main()
