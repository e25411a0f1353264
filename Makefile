# The two set-up commands of the README. Each installs what it needs into .venv first.
#   make demo   the main job: a smoke task x model grid on CPU and its leaderboard
#   make test   the test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= outputs/smoke

.PHONY: install demo test bench clean leaderboard

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

# The suite starts fresh interpreters (make demo, its workers, installs, signals): let them share the
# bytecode the first one compiles, even where the environment says not to write it.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) outputs multirun build dist *.egg-info

# The committed leaderboard: every task x every model at 20k parameters, to convergence, learning rate chosen
# on val, x 3 seeds (see leaderboards/README.md); resumable: run it again to finish an interrupted grid.
LEADERBOARD_RUNS ?= outputs/leaderboard
leaderboard: $(STAMP)
	-$(BIN)/seqbench run -m experiment=leaderboard hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir=$(LEADERBOARD_RUNS) resume=true
	$(BIN)/seqbench leaderboard $(LEADERBOARD_RUNS) --out leaderboards/main --raw
