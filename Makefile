# Course infrastructure. GNU make; recipes are tab-indented.
#
#   make setup       create .venv from requirements.lock, install labkit (editable)
#   make test        pytest over tests/ and nbval over notebooks/ (repo-local caches); VARIANT=... below
#   make test-notebooks  only the notebook part (nbval + the lesson tests), e.g. with VARIANT=avx2
#   make expected-metrics  write tests/expected/quick_metrics.json from runs/quick (after make notebooks)
#   make course      run the whole course (PROFILE=quick|cpu|gpu, SEED=n; default: the CLI decides)
#   make results     write results/<profile>.md from that course run (PROFILE defaults to cpu)
#   make notebooks   re-execute the committed notebooks in place
#   make lab         JupyterLab on notebooks/
#   make world       generate a synthetic world (PROFILE defaults to quick)
#   make bench       benchmarks/bench_world.py and benchmarks/bench_pipeline.py
#   make lock        re-freeze requirements.lock from the current .venv
#   make clean       remove setup stamps and generated outputs (keeps .venv)
#   make distclean   clean + remove .venv

SHELL := /bin/bash

PY ?= $(if $(shell command -v python3.11 2>/dev/null),python3.11,python3)
VENV = .venv
PYTHON = $(VENV)/bin/python
STAMP = $(VENV)/.stamp-setup
PROFILE ?=
SEED ?=

# Every cache and per-user config lives inside the repo, under .cache/.
CACHE_ENV = \
	HF_HOME=$(CURDIR)/.cache/hf \
	MPLCONFIGDIR=$(CURDIR)/.cache/matplotlib \
	JUPYTER_CONFIG_DIR=$(CURDIR)/.cache/jupyter/config \
	JUPYTER_DATA_DIR=$(CURDIR)/.cache/jupyter/data \
	JUPYTER_PLATFORM_DIRS=1 \
	IPYTHONDIR=$(CURDIR)/.cache/ipython \
	XDG_CACHE_HOME=$(CURDIR)/.cache \
	TORCHINDUCTOR_CACHE_DIR=$(CURDIR)/.cache/torchinductor

# Models ship inside pip packages; never reach for a hub at run time.
OFFLINE_ENV = HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

# Quiet, reproducible runs (used for everything that writes outputs).
QUIET_ENV = \
	TQDM_DISABLE=1 \
	HF_HUB_DISABLE_PROGRESS_BARS=1 \
	TRANSFORMERS_VERBOSITY=error \
	PYTHONHASHSEED=0 \
	OMP_NUM_THREADS=2

# Portability checks: run the tests as on another CPU. VARIANT=avx2: an AVX2-only CPU (torch,
# MKL, oneDNN, NumPy's dispatch and OpenBLAS limited to AVX2); generic: torch's non-vectorised
# kernels and OpenBLAS's Prescott kernels; 1thread: one OpenMP thread. Given VARIANT, the tests
# first delete the generated world and artifacts, so that everything is rebuilt under it.
VARIANT ?=
VARIANT_ENV_avx2 = ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2 \
	NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Haswell
VARIANT_ENV_generic = ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Prescott
VARIANT_ENV_1thread = OMP_NUM_THREADS=1
VARIANT_ENV = $(if $(VARIANT),$(or $(VARIANT_ENV_$(VARIANT)),$(error VARIANT must be avx2, generic or 1thread, got '$(VARIANT)')))
VARIANT_PREP = $(if $(VARIANT),rm -rf data/world artifacts && echo 'VARIANT=$(VARIANT): $(VARIANT_ENV)')
# ... and keep what the notebooks recorded, for benchmarks/portability.py (pass or fail)
VARIANT_KEEP = $(if $(VARIANT),mkdir -p runs/portability && cp .cache/test-runs/quick/metrics.json runs/portability/$(VARIANT).json;)

TEST_ENV = $(CACHE_ENV) $(OFFLINE_ENV) $(QUIET_ENV) $(VARIANT_ENV)
NBVAL = --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg
RUN_ENV = $(CACHE_ENV) $(OFFLINE_ENV) $(QUIET_ENV)

.PHONY: setup course results report browser test test-notebooks expected-metrics lab notebooks world bench lock clean distclean

setup: $(STAMP)

$(PYTHON):
	$(PY) -m venv $(VENV)
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; v == (3, 11) or print(f"warning: requirements.lock was made for Python 3.11, .venv has {v[0]}.{v[1]} (PY=$(PY))", file=sys.stderr)'

# Re-run whenever the lock or the package metadata changes.
$(STAMP): requirements.lock requirements-nodeps.txt pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install -r requirements.lock
	$(PYTHON) -m pip install --no-deps -r requirements-nodeps.txt
	$(PYTHON) -m pip install -e . --no-deps
	$(PYTHON) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)"
	touch $@

course: setup
	env $(RUN_ENV) $(PYTHON) -m labkit course $(if $(PROFILE),--profile $(PROFILE)) $(if $(SEED),--seed $(SEED))

# results/<profile>.md: the run times and metrics of `make course PROFILE=...` (the tables the prose cites)
results: setup
	env $(RUN_ENV) $(PYTHON) -m labkit results --profile $(or $(PROFILE),cpu)

# the instructor's page of a run: runs/<profile>/report.html (after `make course PROFILE=...`)
report: setup
	env $(RUN_ENV) $(PYTHON) -m labkit report --profile $(or $(PROFILE),quick)

# headless Chromium (Debian's package) for tests/test_report.py's rendering test, skipped without it
browser:
	command -v chromium >/dev/null || apt-get install -y --no-install-recommends chromium \
		|| sudo apt-get install -y --no-install-recommends chromium

# nbval --nbval-lax: every cell runs; only cells tagged nbval-check-output are compared digit
# by digit (deterministic outputs); tests/test_lessons.py checks the recorded model results.
test: setup
	$(VARIANT_PREP)
	env $(TEST_ENV) $(PYTHON) -m pytest tests notebooks $(NBVAL); status=$$?; $(VARIANT_KEEP) exit $$status

test-notebooks: setup
	$(VARIANT_PREP)
	env $(TEST_ENV) $(PYTHON) -m pytest notebooks tests/test_lessons.py $(NBVAL); status=$$?; $(VARIANT_KEEP) exit $$status

expected-metrics: setup
	env $(RUN_ENV) $(PYTHON) tests/expected/write_expected.py quick

lab: setup
	env $(CACHE_ENV) $(OFFLINE_ENV) $(VENV)/bin/jupyter lab notebooks/

notebooks: setup
	env $(RUN_ENV) $(PYTHON) -m labkit notebooks

world: setup
	env $(RUN_ENV) $(PYTHON) -m labkit world --profile $(or $(PROFILE),quick) --seed 0

bench: setup
	env $(RUN_ENV) $(PYTHON) benchmarks/bench_world.py
	env $(RUN_ENV) $(PYTHON) benchmarks/bench_pipeline.py

# Regenerate requirements.lock from whatever is installed in .venv.
# The local tag of the CPU torch build is dropped so the pin works everywhere.
# the packages of requirements-nodeps.txt stay out of the lock (pip would refuse their pandas<3 metadata)
NODEPS_EXCLUDE = $(foreach p,$(shell sed -n 's/==.*//p' requirements-nodeps.txt),--exclude $(p))
lock: $(PYTHON)
	{ \
	  echo "# requirements.lock -- full pinned closure of the course environment (Python 3.11, Linux x86_64)."; \
	  echo "# Made with: make lock, i.e."; \
	  echo "#   .venv/bin/python -m pip freeze --exclude-editable --exclude labkit $(NODEPS_EXCLUDE) | sed -E 's/^(torch==[^+]+)\\+cpu\$$/\\1/'"; \
	  echo "# torch: this environment was frozen with the CPU build (torch 2.13.0+cpu); the pin carries no"; \
	  echo "# local tag, so elsewhere pip installs PyPI's default torch 2.13.0 build (CUDA-enabled on Linux,"; \
	  echo "# which also pulls in its nvidia-* dependencies, not listed here)."; \
	  echo "# Install with: make setup (pip install -r requirements.lock, then --no-deps -r requirements-nodeps.txt,"; \
	  echo "# then pip install -e . --no-deps)."; \
	  $(PYTHON) -m pip freeze --exclude-editable --exclude labkit $(NODEPS_EXCLUDE) | sed -E 's/^(torch==[^+]+)\+cpu$$/\1/'; \
	} > requirements.lock.tmp
	@grep -q "^torch==" requirements.lock.tmp || { rm -f requirements.lock.tmp; echo "error: .venv looks empty; run make setup first" >&2; exit 1; }
	mv requirements.lock.tmp requirements.lock

clean:
	rm -f $(VENV)/.stamp-*
	rm -rf runs/ artifacts/ data/world/ .cache/

distclean: clean
	rm -rf $(VENV)
