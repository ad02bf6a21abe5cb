"""Benchmark: random vs. length-bucketed batches for 04's sentiment fine-tune (speed and quality).

For each seed and each batching (``length_bucket`` None, then the given bucket size) it
fine-tunes the packaged MiniLM on the world's 3-class review sentiment exactly as 04 does
(``bert.load_classifier`` + ``bert.fine_tune``, best epoch by validation macro-F1) and
reports the fit time and test macro-F1 overall and on the hard slice (negation or
contrast). Speed alone would favour buckets; this shows what they cost.

    .venv/bin/python benchmarks/bench_bert_buckets.py --profile cpu --seeds 1 2   # ~6 min a seed, 2 threads
    .venv/bin/python benchmarks/bench_bert_buckets.py --quick                     # tiny smoke run

Results go to ``benchmarks/out/bert_buckets.json`` and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_OUT = HERE / "out" / "bert_buckets.json"
SLICES = ("hard", "has_negation", "has_contrast")


def run_case(task, seed: int, bucket: int | None, lr: float, epochs: int, batch_size: int,
             max_length: int) -> dict[str, object]:
    """Fine-tune once; fit seconds, best validation and test macro-F1 (all and per slice)."""
    from labkit.models.text import bert
    from labkit.models.text import tasks as T

    model, tok = bert.load_classifier(None, len(task.classes), seed=seed)
    t0 = time.perf_counter()
    model, hist = bert.fine_tune(model, tok, task.texts("train"), task.y("train"), task.texts("valid"),
                                 task.y("valid"), lr=lr, epochs=epochs, batch_size=batch_size,
                                 max_length=max_length, seed=seed, length_bucket=bucket)
    seconds = time.perf_counter() - t0
    probs = {p: bert.predict_proba(model, tok, task.texts(p), max_length=max_length) for p in ("valid", "test")}
    scores = T.compare(task, {"model": probs}, slices=SLICES).loc["model"]
    return {"seed": seed, "length_bucket": bucket, "fit_seconds": round(seconds, 1),
            "best_epoch": hist.attrs["best_epoch"], "valid_macro_f1": round(hist.attrs["best_valid_macro_f1"], 4),
            **{f"test_{k}": round(float(v), 4) for k, v in scores.items()}}


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run every (seed, batching) case, write the JSON, print a Markdown table."""
    import torch

    from labkit.models.text import tasks as T

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--bucket", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="quick world, 48 texts, 1 epoch (smoke run)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from labkit.profiles import get_profile

    prof = get_profile("quick" if a.quick else a.profile)
    n_train, n_eval = (48, 48) if a.quick else (prof.bert_max_texts, prof.bert_eval_texts)
    epochs = 1 if a.quick else a.epochs
    task = T.subsample(T.review_task(prof, 0, "sentiment"), n_train, n_eval, 0)  # 04's sample (SEED 0)
    rows = [run_case(task, s, b, a.lr, epochs, prof.bert_batch_size, prof.bert_max_length)
            for s in a.seeds for b in (None, a.bucket)]
    for r in rows:
        print(r, flush=True)
    result = {"benchmark": "bert_length_buckets", "profile": prof.name, "quick": a.quick, "lr": a.lr,
              "epochs": epochs, "train_texts": len(task.part("train")), "torch": torch.__version__,
              "threads": a.threads, "rows": rows, "when": _dt.datetime.now().isoformat()}
    out = a.out or (DEFAULT_OUT.with_name("bert_buckets_quick.json") if a.quick else DEFAULT_OUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print("\n| seed | length_bucket | fit s | test macro-F1 | hard slice |")
    print("|---:|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['seed']} | {r['length_bucket']} | {r['fit_seconds']} | {r['test_macro_f1']} "
              f"| {r['test_macro_f1[hard]']} |")
    return result


if __name__ == "__main__":
    main()
