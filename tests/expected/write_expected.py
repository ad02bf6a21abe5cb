"""Write tests/expected/<profile>_metrics.json from the metrics of the last default run.

Run by ``make expected-metrics`` after ``make notebooks``: it takes the synthetic-world keys
(``00_data_tour`` .. ``04_bert``, not the ``<stem>:<dataset>`` real tracks) of
``runs/<profile>/metrics.json``. The diff of the JSON file shows up in review: update it
only for a deliberate change of a notebook's results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from labkit.course import NOTEBOOKS
from labkit.recording import load_metrics


def main(profile: str = "quick") -> int:
    recorded = load_metrics(profile)
    keep = {stem: recorded[stem] for stem in NOTEBOOKS if stem in recorded}
    missing = [s for s in NOTEBOOKS if s not in keep and (Path("notebooks") / f"{s}.ipynb").exists()]
    if missing:
        print(f"error: runs/{profile}/metrics.json has no metrics for {missing}; run `make notebooks` first",
              file=sys.stderr)
        return 1
    out = Path(__file__).parent / f"{profile}_metrics.json"
    out.write_text(json.dumps(keep, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out} "
          f"({sum(map(len, keep.values()))} metrics of {len(keep)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
