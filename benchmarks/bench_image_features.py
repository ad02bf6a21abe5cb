"""Benchmark: EfficientNet-Lite0 image features (05's image encoder), images per second, and image decoding.

Feature extraction: random uint8 images through :func:`labkit.models.image.efficientnet.image_features`
(frozen, eval mode, no gradients) at each input size and batch size; the first batch is a warm-up.
Decoding: ``load_fashion_images`` on the real fashion folder (``--data-dir`` or ``$LABKIT_REAL_DATA``),
the first ``--decode`` images of the metadata, JPEG 224 px to 64 px.

    .venv/bin/python benchmarks/bench_image_features.py                 # 2 threads, sizes 224 and 128, batch 64
    .venv/bin/python benchmarks/bench_image_features.py --device cuda   # on a GPU machine
    .venv/bin/python benchmarks/bench_image_features.py --quick         # tiny smoke run

Results go to ``benchmarks/out/image_features.json`` and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_OUT = HERE / "out" / "image_features.json"


def features_rate(model, n: int, size: int, batch: int, device: str) -> dict[str, object]:
    """Images per second of frozen feature extraction (n images after one warm-up batch)."""
    import torch

    from labkit.models.image.efficientnet import to_input

    images = np.random.default_rng(0).integers(0, 255, (n + batch, 64, 64, 3), dtype=np.uint8)
    model = model.to(device)
    with torch.no_grad():
        model.extract_features(to_input(images[:batch], size).to(device))  # warm-up
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for lo in range(batch, n + batch, batch):
            model.extract_features(to_input(images[lo: lo + batch], size).to(device)).mean(dim=(2, 3)).cpu()
        if device == "cuda":
            torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    return {"task": "features", "input_px": size, "batch": batch, "images": n, "seconds": round(seconds, 2),
            "images_per_s": round(n / seconds, 1), "device": device}


def decode_rate(data_dir: Path, n: int) -> dict[str, object]:
    """Images per second of load_fashion_images (JPEG decode + resize to 64 px) on the real folder."""
    from labkit.datasets.fashion import load_fashion_images, load_fashion_metadata

    meta = load_fashion_metadata(data_dir / "fashion_product_images", verbose=False).head(n)
    t0 = time.perf_counter()
    got = load_fashion_images(meta, size=64, verbose=False)
    seconds = time.perf_counter() - t0
    return {"task": "decode", "input_px": 224, "batch": None, "images": len(got.images), "seconds": round(seconds, 2),
            "images_per_s": round(len(got.images) / seconds, 1), "device": "cpu"}


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Measure, write the JSON, print a Markdown table."""
    import torch

    from labkit.models.image.efficientnet import load_efficientnet_lite0

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[224, 128])
    ap.add_argument("--batches", type=int, nargs="+", default=[64])
    ap.add_argument("--images", type=int, default=512)
    ap.add_argument("--decode", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="8 images at 64 px, no decoding (smoke run)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_efficientnet_lite0()
    sizes, batches, n = ([64], [4], 8) if a.quick else (a.sizes, a.batches, a.images)
    rows = [features_rate(model, n, s, b, a.device) for s in sizes for b in batches]
    data_dir = a.data_dir or (Path(os.environ["LABKIT_REAL_DATA"]) if os.environ.get("LABKIT_REAL_DATA") else None)
    if not a.quick and data_dir is not None:
        rows.append(decode_rate(data_dir, a.decode))
    for r in rows:
        print(r, flush=True)
    result = {"benchmark": "image_features", "model": "efficientnet-lite0", "torch": torch.__version__,
              "threads": a.threads, "device": a.device, "quick": a.quick, "rows": rows,
              "when": _dt.datetime.now().isoformat()}
    out = a.out or (DEFAULT_OUT.with_name("image_features_quick.json") if a.quick else DEFAULT_OUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print("\n| task | input px | batch | images | seconds | images/s | device |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['task']} | {r['input_px']} | {r['batch'] or ''} | {r['images']} | {r['seconds']} "
              f"| {r['images_per_s']} | {r['device']} |")
    return result


if __name__ == "__main__":
    main()
