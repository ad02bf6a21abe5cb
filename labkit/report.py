"""The instructor's report: one self-contained HTML page of a course run (``python -m labkit report``).

Reads what ``make course PROFILE=<p>`` leaves in ``runs/<p>/``: the metrics every notebook recorded
(``metrics.json``) and the executed notebooks (papermill's run times and parameters, and their first
figures, embedded as base64 so the page is one file to mail or open offline). Adds the profile, the
commit, the CPU and the versions of the main libraries. A notebook that did not run is listed as such
and the page goes on; a notebook executed with another profile than the folder's is flagged. Written to
``runs/<p>/report.html``, never into the repo's tracked files. Introduced for 07_evaluation.
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime
from importlib import metadata
from pathlib import Path

from .course import NOTEBOOKS
from .datasets.source import companion_notebooks
from .paths import relative, repo_root, runs_dir
from .profiles import get_profile
from .recording import load_metrics
from .results import PROFILE_FIELDS, commit_id, cpu_model, notebook_times

LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm", "torch", "transformers", "sentence-transformers",
             "stable-baselines3", "statsforecast", "papermill")
MAX_FIGURES = 3  # per notebook: the first figures, enough to recognise the run
LEADERBOARDS = "leaderboards.csv"  # written by 07_evaluation into the run folder: every task's models with CIs
BOARD_COLUMNS = ("task", "model", "score", "lo", "hi", "diff", "diff_lo", "diff_hi", "real")
STYLE = ("body{font-family:sans-serif;max-width:72em;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em}"
         "td.n{text-align:right;font-family:monospace}.warn{color:#a40}.missing{color:#777}"
         "img{max-width:32em;margin:.3em;border:1px solid #eee}")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries the course leans on (``not installed`` where absent)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _table(rows: list[tuple[object, ...]], header: tuple[str, ...]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f'<td class="n">{v:,.4g}</td>' if abs(v) >= 1e4 else f'<td class="n">{v:.4f}</td>'
        if isinstance(v, int):
            return f'<td class="n">{v:,d}</td>'
        return f"<td>{html.escape(str(v))}</td>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _executed(run: Path, stem: str) -> dict | None:
    path = run / f"{stem}.ipynb"
    return json.loads(path.read_text()) if path.exists() else None


def _figures(nb: dict, limit: int = MAX_FIGURES) -> list[str]:
    found = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png and len(found) < limit:
                found.append("".join(png).replace("\n", ""))
    return found


def leaderboard_section(run: Path) -> str:
    """07's leaderboards (score, 95 % CI, paired difference to the task's baseline), or a line saying 07 has not run."""
    path = run / LEADERBOARDS
    if not path.exists():
        return (f'<h2>Leaderboards</h2><p class="missing">No {LEADERBOARDS} in {html.escape(relative(run))}: '
                "07_evaluation has not run with this profile, so the scores below have no intervals.</p>")
    import pandas as pd

    board = pd.read_csv(path)
    missing = [c for c in BOARD_COLUMNS if c not in board.columns]
    if missing:
        raise ValueError(f"{relative(path)}: missing column(s) {missing}; expected {list(BOARD_COLUMNS)} (rerun 07)")
    rows = [(r.task, r.model, float(r.score), f"{r.lo:.3f} to {r.hi:.3f}",
             "" if pd.isna(r.diff) else f"{r.diff:+.3f} ({r.diff_lo:+.3f} to {r.diff_hi:+.3f})",
             "" if pd.isna(r.real) else ("yes" if str(r.real) == "True" else "no")) for r in board.itertuples()]
    return ("<h2>Leaderboards (07_evaluation)</h2><p>Test scores with 95 % cluster-bootstrap intervals; the "
            "difference to the task's baseline is paired (the same resampled units for both models).</p>"
            + _table(rows, ("task", "model", "score", "95% CI", "difference to the baseline (95% CI)", "real")))


def report_html(profile: str, root: Path | None = None) -> str:
    """The page (``ValueError`` when ``runs/<profile>/`` holds neither metrics nor executed notebooks)."""
    prof = get_profile(profile)
    run = runs_dir(prof.name, root)
    metrics = load_metrics(prof.name, root)
    times = {r["notebook"]: r for r in notebook_times(prof.name, root)}
    if not metrics and not times:
        raise ValueError(f"profile {prof.name!r}: no metrics and no executed notebooks in {relative(run)}; "
                         f"run `make course PROFILE={prof.name}` first")
    base = root or repo_root()
    title = f"Course run, profile {prof.name}"
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>{STYLE}</style>"
             f"</head><body><h1>{title}</h1>",
             f"<p>Commit {html.escape(commit_id(base))}, {html.escape(cpu_model())}, {os.cpu_count()} logical CPUs, "
             f"<code>OMP_NUM_THREADS={html.escape(os.environ.get('OMP_NUM_THREADS', 'unset'))}</code>; "
             f"page written {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} from {html.escape(relative(run))}.</p>",
             "<h2>Profile</h2>", _table([(k, getattr(prof, k)) for k in PROFILE_FIELDS], ("setting", "value")),
             "<h2>Libraries</h2>", _table(list(library_versions().items()), ("library", "version"))]
    stems = sorted({*NOTEBOOKS, *companion_notebooks()})  # course order: 01, 01b, 02, ...

    def status(stem: str) -> tuple[object, ...]:
        if stem in times:
            return stem, round(times[stem]["seconds"] / 60, 2), "failed" if times[stem]["failed"] else "ran"
        recorded = any(k == stem or k.startswith((f"{stem}:", f"{stem}@")) for k in metrics)
        return stem, "", "metrics only (no executed notebook here)" if recorded else "not in this run"

    rows = [status(s) for s in stems]
    total = sum(t["seconds"] for t in times.values()) / 60
    parts += ["<h2>Run times</h2>", _table(rows + [("all", round(total, 2), "")], ("notebook", "minutes", "status")),
              leaderboard_section(run)]
    for stem in stems:
        keys = sorted(k for k in metrics if k == stem or k.startswith(f"{stem}:") or k.startswith(f"{stem}@"))
        nb = _executed(run, stem)
        parts.append(f"<h2>{html.escape(stem)}</h2>")
        if not keys and nb is None:
            parts.append(f'<p class="missing">Not in this run: no metrics and no {html.escape(stem)}.ipynb in '
                         f"{html.escape(relative(run))}.</p>")
            continue
        ran_with = (nb or {}).get("metadata", {}).get("papermill", {}).get("parameters", {}).get("PROFILE")
        if ran_with not in (None, prof.name):
            parts.append(f'<p class="warn">This notebook ran with PROFILE={html.escape(str(ran_with))}, not '
                         f"{prof.name}: its numbers belong to another profile.</p>")
        for key in keys:
            parts += [f"<h3>{html.escape(key)}</h3>",
                      _table(sorted(metrics[key].items()), ("metric", "value"))]
        if not keys:
            parts.append('<p class="warn">Executed, but it recorded no metrics (did its last cell run?).</p>')
        parts += [f'<img alt="{html.escape(stem)} figure {i + 1}" src="data:image/png;base64,{png}">'
                  for i, png in enumerate(_figures(nb or {}))]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(profile: str, root: Path | None = None) -> Path:
    """Write ``runs/<profile>/report.html`` (see :func:`report_html`) and return its path."""
    text = report_html(profile, root)
    out = runs_dir(get_profile(profile).name, root) / "report.html"
    out.write_text(text)
    return out
