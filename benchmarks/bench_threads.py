"""Threads vs speed of 03's intent LSTM on this machine: 1 and 2 torch threads, same run.

    .venv/bin/python benchmarks/bench_threads.py            # quick world, 5,000 rows, 1 epoch

Prints samples/s per thread count and the load average before and after. Why it exists:
on a 2-core machine with another busy process, two OpenMP threads spin-wait for each
other and run several times slower than one (see README.md), which is why
``labkit.runtime.default_threads`` leaves a core free.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    import torch

    import labkit
    from labkit.models.purchase_intent.models import SeqConfig, fit_sequence_classifier, load_intent

    data = load_intent("quick")
    train, valid = data.part("train"), data.part("valid").sample_rows(3000)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for n in args.threads:
        labkit.seed_everything(0)
        torch.set_num_threads(n)
        t0 = time.perf_counter()
        model = fit_sequence_classifier(train, valid, SeqConfig(epochs=1, max_train_rows=args.rows, last_events=32),
                                        verbose=False)
        print(f"{n} thread(s): {model.samples_per_s:,.0f} samples/s (training), {time.perf_counter() - t0:.1f} s "
              f"in all, valid AUC {model.best_valid_auc:.4f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
