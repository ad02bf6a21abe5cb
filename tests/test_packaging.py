"""pyproject.toml, environment.yml and requirements.lock must agree.

Fast, offline, and needs nothing but the three files (plus PyYAML, which is
pinned in all three). Names are compared after PEP 503 normalisation;
versions are compared as the exact pinned strings.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"
LOCK = ROOT / "requirements.lock"

PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?:\[[^\]]*\])?"  # optional extras
    r"==(?P<version>[A-Za-z0-9.!+_-]+)$"
)


def normalize(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines: list[str], source: str) -> dict[str, str]:
    """Map normalised name -> pinned version; every line must be `name==version`."""
    pins: dict[str, str] = {}
    problems = []
    for raw in lines:
        line = raw.strip()
        m = PIN.match(line)
        if not m:
            problems.append(f"{source}: not pinned with '==': {raw!r}")
            continue
        name = normalize(m["name"])
        if name in pins:
            problems.append(f"{source}: {name} listed twice")
        pins[name] = m["version"]
    assert not problems, "\n".join(problems)
    return pins


def lock_lines() -> list[str]:
    return [
        line.strip()
        for line in LOCK.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with PYPROJECT.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def top_level(pyproject) -> dict[str, str]:
    return parse_pins(pyproject["project"]["dependencies"], "pyproject.toml")


@pytest.fixture(scope="module")
def conda_pip_section() -> list[str]:
    env = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one pip section"
    return [str(item) for item in pip_sections[0]]


@pytest.fixture(scope="module")
def locked() -> dict[str, str]:
    return parse_pins(lock_lines(), "requirements.lock")


def test_every_lock_line_is_pinned():
    lines = lock_lines()
    assert lines, "requirements.lock is empty"
    bad = [
        line
        for line in lines
        if not PIN.match(line) or line.startswith("-") or "@" in line or ";" in line
    ]
    assert not bad, f"unpinned or non-index lines in requirements.lock: {bad}"


def test_lock_does_not_contain_the_project_itself(locked, pyproject):
    assert normalize(pyproject["project"]["name"]) not in locked


def test_pyproject_matches_lock(top_level, locked):
    missing = sorted(set(top_level) - set(locked))
    assert not missing, f"in pyproject.toml but not in requirements.lock: {missing}"
    differ = {n: (v, locked[n]) for n, v in top_level.items() if locked[n] != v}
    assert not differ, f"pyproject.toml vs requirements.lock pins differ: {differ}"


def test_optional_dependencies_match_lock(pyproject, locked):
    for extra, reqs in pyproject["project"].get("optional-dependencies", {}).items():
        pins = parse_pins(reqs, f"pyproject.toml [{extra}]")
        differ = {n: (v, locked.get(n)) for n, v in pins.items() if locked.get(n) != v}
        assert not differ, f"extra '{extra}' disagrees with requirements.lock: {differ}"


def test_environment_yml_matches_pyproject(top_level, conda_pip_section):
    pip_reqs = [r for r in conda_pip_section if not r.startswith("-e")]
    assert "-e ." in conda_pip_section, "environment.yml pip section must install the project (-e .)"
    conda = parse_pins(pip_reqs, "environment.yml")
    only_env = sorted(set(conda) - set(top_level))
    only_pyproject = sorted(set(top_level) - set(conda))
    assert not only_env and not only_pyproject, (
        f"only in environment.yml: {only_env}; only in pyproject.toml: {only_pyproject}"
    )
    differ = {n: (v, top_level[n]) for n, v in conda.items() if top_level[n] != v}
    assert not differ, f"environment.yml vs pyproject.toml pins differ: {differ}"


def test_environment_yml_python_and_channels(pyproject):
    env = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    assert env["name"] == "ecommerce-demand-course"
    assert env["channels"] == ["conda-forge"]
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in plain and "pip" in plain
    assert pyproject["project"]["requires-python"] == ">=3.11"


def test_torch_pin_has_no_local_build_tag(top_level, locked):
    # The lock is frozen from the CPU build (2.13.0+cpu); the '+cpu' tag must be
    # stripped so that the same pin resolves on PyPI everywhere else.
    assert "+" not in top_level["torch"] and "+" not in locked["torch"]


NODEPS = ROOT / "requirements-nodeps.txt"


def test_nodeps_packages_are_pinned_outside_the_lock_and_installed_without_deps(locked):
    """statsforecast and fugue declare pandas<3: installed with --no-deps after the lock, never inside it."""
    lines = [ln.strip() for ln in NODEPS.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    pins = parse_pins(lines, "requirements-nodeps.txt")
    assert "statsforecast" in pins
    assert not set(pins) & set(locked), "a --no-deps package is also in requirements.lock"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --no-deps -r requirements-nodeps.txt" in makefile
    import statsforecast  # the installed version is the pinned one

    assert statsforecast.__version__ == pins["statsforecast"]
