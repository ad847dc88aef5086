# Two commands do all setup: `make test` and `make reproduce` (each creates .venv and installs).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# `make reproduce` writes to an ignored folder and compares it with the committed figures/;
# the committed figures are regenerated on purpose: `make figures` (README, CONTRIBUTING)
OUT    ?= results
PYTEST_ARGS ?=

.PHONY: test test-fast reproduce reproduce-fast figures bench lint env clean docs notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

env: $(STAMP)

# --dist loadscope: each module's tests on one worker, so its shared fixtures (a fast reproduce
# run, Track D's tiny runs) are computed once, not once per worker
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadscope --doctest-modules theory sims tests $(PYTEST_ARGS)

# the fast tier: only the tests that import a changed module, the changed tests and the changed
# modules' doctests (tests/affected.py); `make test` still runs everything
test-fast: $(STAMP)
	$(PY) tests/affected.py --run -- $(PYTEST_ARGS)

# ends with `dssl compare` against the committed figures/: "same as the committed results" or
# what differs (the run succeeds either way; the comparison is information)
reproduce: $(STAMP)
	$(VENV)/bin/dssl reproduce --out $(OUT)
	@$(VENV)/bin/dssl compare figures $(OUT) > $(OUT)/compare.txt \
	  && echo "dssl compare figures $(OUT): same as the committed results" \
	  || { echo "dssl compare figures $(OUT): differs from the committed results (all of it:"; \
	       echo "$(OUT)/compare.txt):"; grep -E ' differ$$' $(OUT)/compare.txt; \
	       tail -n 1 $(OUT)/compare.txt; }

reproduce-fast: $(STAMP)
	$(VENV)/bin/dssl reproduce --fast --out $(OUT)-fast

# regenerate the committed results on purpose: the default run into figures/, then README's
# answer block and gallery from it
figures: $(STAMP)
	$(VENV)/bin/dssl reproduce --out figures
	$(PY) -m sims.reproduce.report

# the PyTorch loop of the comparison needs the `bench` extra (torch), kept out of `make test`
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run_all.py

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

notebooks: $(STAMP)
	$(PY) notebooks/render_html.py --out build/notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check theory sims tests benchmarks
	$(VENV)/bin/ruff format --check theory sims tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
