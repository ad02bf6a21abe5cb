"""Time the world generator for a profile in a child process and report peak memory.

Used for the `gpu` profile on a lent GPU machine (the generator is NumPy on the CPU):
    python3 benchmarks/device_world.py --profile gpu --out /tmp/wgpu --json result.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="gpu")
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "labkit", "world", "--profile", args.profile, "--seed", "0",
                           "--out", args.out], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"profile": args.profile, "returncode": done.returncode, "seconds": round(seconds, 1),
              "peak_rss_mb": round(peak_mb), "cpus": os.cpu_count(), "python": platform.python_version(),
              "stdout": done.stdout[-2000:], "stderr": done.stderr[-4000:]}
    manifest = os.path.join(args.out, "manifest.json")
    if os.path.exists(manifest):
        m = json.load(open(manifest))
        result["rows"] = {k: v["rows"] for k, v in m["tables"].items()}
    import numpy, pandas, pyarrow  # noqa: E401
    result["versions"] = {"numpy": numpy.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}
    json.dump(result, open(args.json, "w"), indent=2)
    print(json.dumps({k: v for k, v in result.items() if k not in ("stdout",)}, indent=2))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
