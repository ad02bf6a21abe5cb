"""Notebook harness: hygiene of the committed notebooks, papermill runs, recorded metrics.

nbval (output comparison of every notebook) runs from ``make test`` over ``notebooks/``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

import labkit
from labkit.course import NOTEBOOKS, CourseError, notebook_parameters, notebook_paths, run_course, run_notebook
from labkit.datasets import companion_notebooks
from labkit.paths import repo_root, runs_dir

ROOT = repo_root()
COMMITTED = notebook_paths()


def test_course_notebooks_exist_in_order():
    assert COMMITTED, "no notebooks found"
    lessons = [p.stem for p in COMMITTED if p.stem not in companion_notebooks()]
    assert lessons == [n for n in NOTEBOOKS if (ROOT / "notebooks" / f"{n}.ipynb").exists()]
    assert [p.stem for p in COMMITTED] == sorted(p.stem for p in COMMITTED)  # companions sit after their lesson
    assert COMMITTED[0].stem == "00_data_tour"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_committed_notebook_hygiene(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb["metadata"] and "widgets" not in nb["metadata"]
    cells = nb["cells"]
    assert all("papermill" not in c.get("metadata", {}) for c in cells)
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in cells) == 1
    params = notebook_parameters(path)
    assert "PROFILE" in params and "SEED" in params
    param_src = next("".join(c["source"]) for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    assert all(line.count("=") <= 1 for line in param_src.splitlines()), "papermill cannot parse a second '='"
    first = "".join(cells[0]["source"])
    assert first.startswith("# ") and "Learning objectives" in first
    text = "".join("".join(c["source"]) for c in cells)
    assert "## Exercises" in text and "record_metrics(" in text
    code = [c for c in cells if c["cell_type"] == "code"]
    assert sum(bool(c.get("outputs")) for c in code) >= len(code) // 2, "committed without outputs"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    outputs = json.dumps([c.get("outputs", []) for c in code])
    assert not re.search(r"/(root|home|tmp|work)/", text + outputs), "machine path in the notebook"


# A trailing expression inside an if/for/with block is not displayed by Jupyter: it must be a
# call that shows or stores something itself (the bug class of a table computed and never shown).
SHOWING_CALLS = {"display", "print", "show", "update", "savefig", "tight_layout", "legend", "set", "close"}


def _trailing_statements(body: list[ast.stmt]):
    last = body[-1]
    if isinstance(last, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
        yield from _trailing_statements(last.body)
        if getattr(last, "orelse", None):
            yield from _trailing_statements(last.orelse)
    else:
        yield last


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_no_value_is_silently_dropped_at_the_end_of_a_block(path):
    nb = json.loads(path.read_text())
    bad = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        if not tree.body or not isinstance(tree.body[-1], (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            continue
        for stmt in _trailing_statements([tree.body[-1]]):
            if isinstance(stmt, ast.Expr):
                call = stmt.value if isinstance(stmt.value, ast.Call) else None
                name = getattr(call.func, "id", getattr(call.func, "attr", None)) if call else None
                if name not in SHOWING_CALLS:
                    bad.append(f"cell {i} line {stmt.lineno}")
    assert not bad, f"{path.name}: a block ends in a bare expression that Jupyter never shows (wrap it in " \
                    f"display()): {bad}"


FLOAT_WITH_4_DECIMALS = re.compile(r"(?<![\w.])-?\d+\.\d{4,}(?![\d.])")


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_outputs_print_the_digits_the_prose_uses(path):
    """No printed float with more than 3 decimals; some cells are compared digit by digit, none of them twice tagged."""
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    long = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            long += [f"cell {i}: {m}" for m in FLOAT_WITH_4_DECIMALS.findall(text)]
    assert not long, f"{path.name}: floats printed with more digits than the prose uses: {long[:5]}"
    tags = [set(c.get("metadata", {}).get("tags", [])) for c in code]
    minimum = 1 if path.stem in companion_notebooks() else 3  # a companion's data are counted in its first cells
    assert sum("nbval-check-output" in t for t in tags) >= minimum, "too few cells compared by nbval --nbval-lax"
    assert not any({"nbval-check-output", "nbval-ignore-output"} <= t for t in tags)


# A notebook cell that defines what labkit also keeps starts with this marker (d2l's #@save idea):
# the learner reads, and may change, the very code that labkit runs for the later cells and notebooks.
LABKIT_MARKER = re.compile(r"^# labkit: (?P<file>[\w/]+)\.py::(?P<name>\w+)\s*$")
MUST_DEFINE = {"03_lstm": {"SequenceClassifier"}, "04_bert": {"build_trainer", "macro_f1_metrics"}}  # on the page


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_marked_cells_are_the_labkit_source(path):
    nb = json.loads(path.read_text())
    found = set()
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        first, _, body = src.partition("\n")
        m = LABKIT_MARKER.match(first)
        if cell["cell_type"] != "code" or not m:
            assert "# labkit:" not in first, f"{path.name} cell {i}: malformed marker {first!r}"
            continue
        module = importlib.import_module("labkit." + m["file"].replace("/", "."))
        kept = inspect.getsource(getattr(module, m["name"]))
        assert body.rstrip() == kept.rstrip(), (
            f"{path.name} cell {i} and labkit/{m['file']}.py::{m['name']} differ: copy the change to both")
        found.add(m["name"])
    assert MUST_DEFINE.get(path.stem, set()) <= found, f"{path.name}: the lesson's code is not on the page"


def test_run_notebook_rejects_undeclared_parameters(tmp_path):
    with pytest.raises(ValueError, match=r"03_lstm.ipynb: parameter\(s\) \['EPOCH'\] are not declared"):
        run_notebook(ROOT / "notebooks" / "03_lstm.ipynb", tmp_path / "out.ipynb", {"PROFILE": "quick", "EPOCH": 1})
    assert not (tmp_path / "out.ipynb").exists()


def test_parameters_cell_must_assign_one_name_per_line(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("PROFILE = None\nTEXT_COL, LABEL_COL = 'text', 'label'",
                                          metadata={"tags": ["parameters"]})]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="bad.ipynb: parameters cell line 2: assign one name per line"):
        notebook_parameters(path)


def test_papermill_run_with_injected_parameters_records_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_RUNS_DIR", str(tmp_path / "runs"))  # seed 1 beside, not over, the seed-0 metrics
    out = tmp_path / "00_seed1.ipynb"
    run_notebook(ROOT / "notebooks" / "00_data_tour.ipynb", out, {"PROFILE": "quick", "SEED": 1})
    nb = nbformat.read(out, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "seed 1" in printed
    recorded = labkit.load_metrics("quick")["00_data_tour@seed1"]
    world = labkit.load_world(labkit.world_dir("quick", 1))
    assert recorded["n_events"] == world.manifest["tables"]["events"]["rows"]
    assert 0.5 < recorded["state_oracle_auc"] < 1.0
    assert abs(recorded["demand_realised_over_expected"] - 1) < 0.05


def test_course_cli_runs_notebooks_and_prints_the_summary():
    done = subprocess.run([sys.executable, "-m", "labkit", "course", "--profile", "quick", "--only", "00",
                           "--seed", "2"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "00_data_tour@seed2" in done.stdout and "state_oracle_auc" in done.stdout
    assert (runs_dir("quick") / "00_data_tour-seed2.ipynb").exists()  # beside seed 0's, not over it
    recorded = labkit.load_metrics("quick")["00_data_tour@seed2"]
    assert recorded["n_users"] == labkit.get_profile("quick").n_users


def test_course_failure_names_notebook_and_cell(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("PROFILE = None\nSEED = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# broken"), params, nbformat.v4.new_code_cell("1 / 0")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "01_data_cleaning.ipynb")
    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    monkeypatch.delenv("LABKIT_RUNS_DIR", raising=False)
    with pytest.raises(CourseError) as err:
        run_course("quick")
    message = str(err.value)
    assert "01_data_cleaning.ipynb failed at cell 2" in message and "ZeroDivisionError" in message
    assert (tmp_path / "runs" / "quick" / "01_data_cleaning.ipynb").exists()  # partial output kept


def test_no_lesson_cell_branches_on_the_dataset():
    """Real data runs in companion notebooks (01b, 03b, 03c, 04b), never behind an `if DATASET` in a lesson."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                assert not re.search(r"^\s*(el)?if\s+(not\s+)?(SYNTHETIC|DATASET)\b", cell.source, re.M), (
                    f"{path.name} cell {i} branches on the dataset")


def test_every_companion_notebook_is_registered_and_present():
    companions = companion_notebooks()
    present = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(companions) <= present
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        params = notebook_parameters(path)
        if path.stem in companions:
            assert "DATA_DIR" in params, f"{path.name}: a companion takes DATA_DIR"
        else:
            assert not {"DATASET", "DATA_DIR"} & set(params), f"{path.name}: a lesson runs on the synthetic world only"


@pytest.mark.real_data
def test_04b_runs_bitext_through_the_same_cells(real_data, tmp_path):
    """04b with DATASET="bitext" (small budget: 200 training texts, one epoch, 300 scored); nbval runs womens_reviews."""
    out = tmp_path / "04b_real_texts-bitext.ipynb"
    run_notebook(ROOT / "notebooks" / "04b_real_texts.ipynb", out,
                 {"PROFILE": "quick", "DATASET": "bitext", "DATA_DIR": str(real_data), "MAX_TEXTS": 200, "EPOCHS": 1,
                  "EVAL_TEXTS": 300})
    m = labkit.load_metrics("quick")["04b_real_texts:bitext"]
    assert set(m) == {"text_dup_share_across_parts", *(f"message_intent_{k}_{model}" for model in ("bert", "tfidf")
                      for k in ("macro_f1", "min_class_recall", "classes_predicted_balanced"))}
    assert m["message_intent_classes_predicted_balanced_tfidf"] <= 27
    assert 0 < m["text_dup_share_across_parts"] < 0.01  # a few generated utterances repeat (0.08 %)
    assert m["message_intent_macro_f1_tfidf"] > 0.8


def test_notebook_04_on_a_learners_file(tmp_path):
    """04b with DATASET="file": any CSV with named text and label columns runs through the same cells (no real data needed)."""
    rng = __import__("numpy").random.default_rng(0)
    words = {"good": ["love", "great", "perfect", "lovely"], "bad": ["awful", "broken", "terrible", "ugly"]}
    rows = [(" ".join(rng.choice(words[lab], 3)) + " item", lab) for lab in ["good", "bad"] * 60]
    path = tmp_path / "mine.csv"
    path.write_text("body,tag\n" + "\n".join(f"{t},{lab}" for t, lab in rows) + "\n")
    # the command data/README.md documents, without any real-data folder
    env = {k: v for k, v in os.environ.items() if k != "LABKIT_REAL_DATA"}
    done = subprocess.run([sys.executable, "-m", "labkit", "course", "--profile", "quick", "--only", "04b",
                           "-p", "DATASET", "file", "-p", "TEXT_FILE", str(path), "-p", "TEXT_COL", "body",
                           "-p", "LABEL_COL", "tag", "-p", "MAX_TEXTS", "60", "-p", "EPOCHS", "1",
                           "-p", "EVAL_TEXTS", "60"], capture_output=True, text=True, timeout=900, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "04b_real_texts:file-mine" in done.stdout  # the summary, under the file's own key
    m = labkit.load_metrics("quick")["04b_real_texts:file-mine"]
    assert m["label_macro_f1_tfidf"] == 1.0 and 0 <= m["label_macro_f1_bert"] <= 1
    assert 0 < m["text_dup_share_across_parts"] < 1  # 3 words of 4 per text: some texts repeat
    printed = "".join(o.get("text", "") for c in nbformat.read(runs_dir("quick") / "04b_real_texts.ipynb", 4).cells
                      if c.cell_type == "code" for o in c.outputs)
    assert "rows moved so that each text keeps to one part" in printed
    with pytest.raises(ValueError, match="-p TEXT_FILES: no notebook of this run declares it"):
        run_course("quick", ["04b"], params=[("TEXT_FILES", "x.csv")])


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_every_exercise_has_a_hint_and_a_collapsed_solution(path):
    cells = nbformat.read(path, as_version=4).cells
    exercises = [c.source for c in cells if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert len(exercises) == 1, f"{path.name}: expected one '## Exercises' cell"
    items = re.split(r"^\d+\. ", exercises[0], flags=re.M)[1:]
    assert items, f"{path.name}: no numbered exercises"
    for n, item in enumerate(items, 1):
        assert "<details><summary>Hint</summary>" in item, f"{path.name} exercise {n}: no hint"
        assert "<details><summary>Solution</summary>" in item, f"{path.name} exercise {n}: no collapsed solution"
