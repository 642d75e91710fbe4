# The two commands: `make test` (ruff, layer contracts, then pytest) and `make reproduce`.
# Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= results/quick
PEERS := .venv-peers

.PHONY: test reproduce check-report readme-figures lint bench bench-peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

reproduce: $(STAMP)
	$(BIN)/mamlscape reproduce --scale quick --out $(OUT)

# Every figure of the HTML reports (claims, spectrum, along training) embedded or beside the
# page, captioned, in PNG/PDF/SVG; rendered in headless Chromium to results/check-report/ when
# Debian's chromium is installed.
CHECKED := results/check-report
check-report: $(STAMP)
	$(BIN)/mamlscape reproduce --scale smoke --claims L2,A2,S2 --out $(CHECKED)/claims
	$(BIN)/mamlscape spectrum --algo maml --tasks sinusoid --k 3 --per-layer --no-progress --out $(CHECKED)/spectrum
	$(BIN)/mamlscape train --algo maml --tasks sinusoid --iterations 200 --save-every 50 --keep-checkpoints --force --no-progress --out $(CHECKED)/train
	$(BIN)/mamlscape spectrum --algo maml --tasks sinusoid --checkpoints $(CHECKED)/train --k 2 --no-progress --out $(CHECKED)/along
	$(BIN)/python -m figures.commands.check_report --out $(CHECKED) $(CHECKED)/claims/report.html $(CHECKED)/spectrum/report.html $(CHECKED)/along/report.html

# The README's spectrum figures: MAML on sinusoids, kept checkpoints, per-layer and along training.
README_RUN := results/readme-spectrum
readme-figures: $(STAMP)
	$(BIN)/mamlscape train --algo maml --tasks sinusoid --iterations 3000 --save-every 250 --keep-checkpoints --force --no-progress --out $(README_RUN)/train
	$(BIN)/mamlscape spectrum --algo maml --tasks sinusoid --checkpoints $(README_RUN)/train --no-progress --out $(README_RUN)/along
	$(BIN)/mamlscape spectrum --algo maml --tasks sinusoid --checkpoint $(README_RUN)/train --per-layer --slice-directions top --no-progress --out $(README_RUN)/trained
	cp $(README_RUN)/along/along_training.png $(README_RUN)/trained/layers.png figures/readme/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.maml_sinusoid

# mamlscape against learn2learn, higher and torchopt, installed into their own venv.
bench-peers: $(STAMP)
	$(BIN)/python -m benchmarks.peers_env
	$(PEERS)/bin/python -m benchmarks.peers --out results/bench_peers.json --table results/bench_peers.md

clean:
	rm -rf $(VENV) $(PEERS) results .pytest_cache
