"""Run the whole course (or some notebooks) with papermill and print the metrics summary.

``make course`` and ``python -m labkit course`` call :func:`run_course`;
``python -m labkit notebooks`` re-executes the committed notebooks in place with their
default parameters (what learners read on the web) via :func:`refresh_notebooks`.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from .recording import summary_table
from .datasets import companion_notebooks, real_data_dir
from .paths import relative, repo_root, runs_dir
from .profiles import get_profile

NOTEBOOKS = ("00_data_tour", "01_data_cleaning", "02_feature_extraction", "03_lstm", "04_bert",
             "05_multimodal_fusion", "06_reinforcement_learning", "07_evaluation")


class CourseError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the partial output."""


def _stem_number(stem: str) -> str:
    """``03b`` of ``03b_online_retail``, ``03`` of ``03_lstm``."""
    return stem.split("_", 1)[0]


def notebook_paths(only: list[str] | None = None, root: Path | None = None) -> list[Path]:
    """The course notebooks present in ``notebooks/`` (lessons and real-data companions), in order.

    ``only``: notebook numbers; ``03`` selects 03 and its companions 03b, 03c; ``03b`` only 03b.
    """
    folder = (root or repo_root()) / "notebooks"
    known = set(NOTEBOOKS) | set(companion_notebooks())
    found = sorted(p for p in folder.glob("*.ipynb") if p.stem in known)
    if only:
        wanted = {o.strip() for o in only if o.strip()}
        numbers = {_stem_number(n) for n in known}
        bad = sorted(w for w in wanted if w not in numbers)
        if bad:
            raise ValueError(f"--only: unknown notebook number(s) {bad}; expected some of {sorted(numbers)}")
        found = [p for p in found if _stem_number(p.stem) in wanted or p.stem[:2] in wanted]
    return found


def real_data_available(data_dir: str | os.PathLike | None = None) -> bool:
    """True when a real-data folder is given or set in ``$LABKIT_REAL_DATA`` and exists."""
    try:
        real_data_dir(data_dir)
    except FileNotFoundError:
        return False
    return True


def notebook_parameters(path: Path) -> dict[str, object]:
    """Names and default values of the notebook's ``parameters``-tagged cell."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"])
            out: dict[str, object] = {}
            for node in ast.parse(src).body:
                if isinstance(node, ast.Assign) and not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                    raise ValueError(f"{path.name}: parameters cell line {node.lineno}: assign one name per line "
                                     "(papermill cannot override tuple or chained assignments)")
                if isinstance(node, ast.Assign):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        out[node.targets[0].id] = None
            return out
    raise ValueError(f"{path.name}: no cell tagged 'parameters'")


def default_course_profile() -> str:
    """``gpu`` when CUDA is available, else ``quick`` (the notebooks' defaults: minutes on a laptop)."""
    try:
        import torch  # heavy optional library: only to ask for a GPU
        return "gpu" if torch.cuda.is_available() else "quick"
    except ImportError:
        return "quick"


def _failure(path: Path, out: Path, err: Exception) -> CourseError:
    nb = json.loads(out.read_text()) if out.exists() else {"cells": []}
    added = {"papermill-error-cell-tag", "injected-parameters"}  # cells papermill inserts
    cells = [c for c in nb["cells"] if not added & set(c.get("metadata", {}).get("tags", []))]
    bad = next(((i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code"
                and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if bad is None:
        where = "an unknown cell"
    else:
        first_line = "".join(bad[1].get("source", "")).strip().splitlines()[0][:60]
        where = f"cell {bad[0]} (`{first_line}`)"
    detail = f"{getattr(err, 'ename', type(err).__name__)}: {getattr(err, 'evalue', err)}"
    return CourseError(f"{path.name} failed at {where}: {detail}\n  partial output kept at {relative(out)}")


def run_notebook(path: Path, out: Path, parameters: dict[str, object]) -> None:
    """Execute one notebook with papermill (kernel ``python3``, working dir ``notebooks/``).

    Every key of ``parameters`` must be declared in the notebook's parameters cell
    (``ValueError`` otherwise: papermill would inject it where nothing reads it).
    """
    import papermill as pm

    declared = notebook_parameters(path)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(f"{path.name}: parameter(s) {unknown} are not declared in its parameters cell; "
                         f"expected some of {sorted(declared)}")
    params = dict(parameters)
    if out.exists() and out.resolve() != path.resolve():
        out.unlink()  # never report a stale failure from an earlier run
    try:
        pm.execute_notebook(str(path), str(out), parameters=params, kernel_name="python3", language="python",
                            cwd=str(path.parent), progress_bar=False, log_output=False)
    except Exception as err:  # papermill raises PapermillExecutionError with ename/evalue
        raise _failure(path, out, err) from err


def notebook_overrides(pairs: list[tuple[str, str]] | None, paths: list[Path]) -> dict[str, object]:
    """``-p NAME VALUE`` pairs as notebook parameters: each value read as a Python literal
    (``3000``, ``None``, ``True``, ``'x'``) or else kept as text; each NAME must be declared
    by one of ``paths`` (``ValueError`` otherwise, listing what they declare)."""
    declared = {name for path in paths for name in notebook_parameters(path)}
    out: dict[str, object] = {}
    for name, text in pairs or []:
        if name not in declared:
            raise ValueError(f"-p {name}: no notebook of this run declares it; expected one of {sorted(declared)}")
        try:
            out[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[name] = text
    return out


def run_course(profile: str | None = None, only: list[str] | None = None, data_dir: str | None = None,
               seed: int = 0, real: bool | None = None, params: list[tuple[str, str]] | None = None) -> str:
    """Run the notebooks into ``runs/<profile>/``; return the metrics summary table.

    ``seed`` goes to every notebook as ``SEED``: another seed's notebooks (``03_lstm-seed1.ipynb``),
    metrics (``03_lstm@seed1``) and artifacts (``artifacts/<profile>/synthetic-seed1``) sit
    beside the first seed's. The real-data companions (``01b_online_retail`` ...) run when a
    real-data folder is found (``data_dir`` or ``$LABKIT_REAL_DATA``; ``real=False``: never,
    ``real=True``: an error if there is none); otherwise each is skipped with one line.
    ``params``: ``(NAME, VALUE)`` pairs passed to every notebook that declares NAME
    (:func:`notebook_overrides`), e.g. 04b's ``DATASET``/``TEXT_FILE`` for a learner's own file
    (which runs without a real-data folder).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    from tqdm.auto import tqdm

    profile = profile or default_course_profile()
    get_profile(profile)  # validates the name
    if real:
        real_data_dir(data_dir)  # raises, saying how to get the files
    with_real = real_data_available(data_dir) if real is None else real
    out_dir = runs_dir(profile)
    values: dict[str, object] = {"PROFILE": profile, "SEED": seed}
    if data_dir:
        values["DATA_DIR"] = str(Path(data_dir).resolve())
    paths = notebook_paths(only)
    if not paths:
        raise ValueError("no course notebooks found to run")
    values.update(notebook_overrides(params, paths))
    with_real = with_real or (real is None and values.get("DATASET") == "file")  # a learner's own file: no folder
    companions = set(companion_notebooks())
    # disable=False: the course bar shows even though TQDM_DISABLE quiets bars inside notebooks
    for path in tqdm(paths, desc=f"course ({profile})", unit="notebook", disable=False):
        if path.stem in companions and not with_real:
            print(f"skip {path.name}: real data only, and no real-data folder "
                  f"({'real=False' if real is False else 'set LABKIT_REAL_DATA or --data-dir'})")
            continue
        suffix = f"-seed{seed}" if seed else ""
        declared = notebook_parameters(path)  # course-wide values go to the notebooks that take them
        run_notebook(path, out_dir / f"{path.stem}{suffix}.ipynb", {k: v for k, v in values.items() if k in declared})
    return summary_table(profile)


def clean_notebook(path: Path) -> None:
    """Strip papermill/widget metadata and timings; set the ``python3`` kernelspec."""
    nb = json.loads(path.read_text())
    meta = nb.setdefault("metadata", {})
    for key in ("papermill", "widgets"):
        meta.pop(key, None)
    meta["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def refresh_notebooks(only: list[str] | None = None) -> None:
    """Re-execute committed notebooks in place with their default parameters, then clean them.

    The real-data companions are refreshed only when ``$LABKIT_REAL_DATA`` is set (one line
    says which were skipped).
    """
    import shutil

    os.environ.pop("LABKIT_PROFILE", None)
    scratch = runs_dir("refresh")
    companions, with_real = set(companion_notebooks()), real_data_available()
    for path in notebook_paths(only):
        if path.stem in companions and not with_real:
            print(f"skip {relative(path)}: real data only; set LABKIT_REAL_DATA to refresh it", flush=True)
            continue
        print(f"executing {relative(path)} ...", flush=True)
        out = scratch / path.name  # the committed notebook is replaced only on success
        run_notebook(path, out, {})
        clean_notebook(out)
        shutil.copyfile(out, path)
