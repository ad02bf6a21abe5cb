"""Command line: ``python -m labkit world|course|notebooks|results|report`` (see README)."""

from __future__ import annotations

import argparse
import sys
import time

from .course import CourseError, refresh_notebooks, run_course
from .paths import relative
from .profiles import PROFILES
from .world import generate_world


def _world(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    out = generate_world(args.profile, args.seed, args.out, raw=not args.no_raw)
    print(f"wrote the {args.profile!r} world (seed {args.seed}) to {relative(out)} "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


def _course(args: argparse.Namespace) -> int:
    only = args.only.split(",") if args.only else None
    try:
        print(run_course(args.profile, only, args.data_dir, seed=args.seed, real=False if args.no_real else None,
                         params=args.param))
    except CourseError as err:
        print(f"course failed: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    try:
        refresh_notebooks(args.only.split(",") if args.only else None)
    except CourseError as err:
        print(f"notebook refresh failed: {err}", file=sys.stderr)
        return 1
    return 0


def _results(args: argparse.Namespace) -> int:
    from .results import write_results

    try:
        out = write_results(args.profile)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {relative(out)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    start = time.perf_counter()
    try:
        out = write_report(args.profile)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {relative(out)} in {time.perf_counter() - start:.1f} s")
    return 0


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an int, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be >= 0, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("world", help="generate the synthetic world")
    w.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    w.add_argument("--seed", type=_seed, default=0)
    w.add_argument("--out", default=None, help="output folder (default data/world/<profile>-seed<seed>)")
    w.add_argument("--no-raw", action="store_true", help="skip the dirty raw export")
    w.set_defaults(func=_world)
    c = sub.add_parser("course", help="run the notebooks with papermill and print the metrics summary")
    c.add_argument("--profile", default=None, choices=sorted(PROFILES),
                   help="default: gpu when CUDA is available, else quick")
    c.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 01,03 (03 includes 03b, 03c) or 03b")
    c.add_argument("--seed", type=_seed, default=0, help="the world's seed, passed to every notebook as SEED")
    c.add_argument("--data-dir", default=None,
                   help="folder of the real datasets (default $LABKIT_REAL_DATA); with one, the real-data "
                        "companions (01b, 03b, 03c, 04b) run too")
    c.add_argument("--no-real", action="store_true", help="skip the real-data companions")
    c.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"), default=None,
                   help="a notebook parameter for every notebook that declares it (repeatable), e.g. "
                        "--only 04b -p DATASET file -p TEXT_FILE mine.csv -p LABEL_COL tag")
    c.set_defaults(func=_course)
    n = sub.add_parser("notebooks", help="re-execute the committed notebooks in place (default parameters)")
    n.add_argument("--only", default=None)
    n.set_defaults(func=_notebooks)
    r = sub.add_parser("results", help="write results/<profile>.md from that profile's course run")
    r.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    r.set_defaults(func=_results)
    h = sub.add_parser("report", help="write runs/<profile>/report.html, one page of a course run")
    h.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    h.set_defaults(func=_report)
    args = parser.parse_args(argv)
    return args.func(args)
