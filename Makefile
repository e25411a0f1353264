# The two set-up commands of the README. Each installs what it needs into .venv first.
#   make demo   the main job: a smoke task x model grid on CPU and its leaderboard
#   make test   the test suite without its slow tests (CI runs it, then make test-slow)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= outputs/smoke

.PHONY: install demo test test-slow bench clean leaderboard

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "[seqbench] installing into $(VENV) (first run only, about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "setuptools>=69" wheel
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# One line per finished job, then the overview, the budget and where the files are; the full
# leaderboard (markdown, HTML, CSV, plots) is written to $(DEMO_DIR)/leaderboard, not printed.
demo: $(STAMP)
	@$(BIN)/seqbench run -m experiment=smoke hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir=$(DEMO_DIR)
	@$(BIN)/seqbench leaderboard $(DEMO_DIR) --out $(DEMO_DIR)/leaderboard > /dev/null
	@echo "[seqbench] leaderboard: $(DEMO_DIR)/leaderboard/leaderboard.md (and .html, results.csv, plots)"

# make test: every test but the slow ones, under 2 minutes on 2 quiet cores (the loop to run while
# working). make test-slow: the slow ones (marked `slow`: fresh processes, grids, make demo, installs,
# the browser, trainings that show a phenomenon). CI runs both. The suite starts fresh interpreters:
# let them share the bytecode the first one compiles, even where the environment says not to write it.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) outputs multirun build dist *.egg-info

# The main leaderboard: every task x every model at 20k parameters, to convergence, learning rate chosen
# on val, x 5 seeds (conf/experiment/leaderboard.yaml, leaderboards/README.md; the committed board ran its
# previous version, 3 seeds); resumable: run it again to finish an interrupted grid. The board goes
# beside the runs, never over the committed leaderboards/main: an interrupted grid would replace it with
# a partial one (the board builds even when some runs failed, which their records say).
LEADERBOARD_RUNS ?= outputs/leaderboard
leaderboard: $(STAMP)
	-$(BIN)/seqbench run -m experiment=leaderboard hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir=$(LEADERBOARD_RUNS) resume=true
	$(BIN)/seqbench leaderboard $(LEADERBOARD_RUNS) --out $(LEADERBOARD_RUNS)/board --raw
