# Developer commands. `make setup` once, then `make test`.
VENV ?= .venv
BIN  := $(VENV)/bin

.PHONY: setup test test-all docs readme export clean-nbs check

setup:            ## venv with the CPU torch build, wavelet_pos (editable) + dev tools, Chromium for the docs test
	bash tools/setup.sh

test:             ## every notebook (skipping slow/gpu cells), README, package and docs-site tests
	$(BIN)/python -m pytest

test-all:         ## also run the cells flagged slow (minutes to hours on a CPU)
	$(BIN)/nbdev_test --flags slow

docs:             ## build the documentation site into _site/ (offline; nbdev_docs where Quarto exists)
	$(BIN)/python tools/docs.py build

readme:           ## regenerate README.md from nbs/index.ipynb
	$(BIN)/python tools/docs.py readme

export:           ## notebooks -> wavelet_pos/, clean notebooks, README
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/docs.py readme

check:            ## the library equals the export and the notebooks are clean
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && git diff --exit-code -- wavelet_pos nbs
