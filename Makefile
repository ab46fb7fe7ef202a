# The README's commands.  Each target sets up .venv first when it is missing or stale.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONHASHSEED := 0

.PHONY: setup data demo test test-notebooks test-browser lint bench exercises notebooks figures book gallery clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST, tried in order: files in place, Debian's package's files, torchvision's download (all
# three in `fetch`), then, as root on Debian, installing that package.  Only when all fail, one line.
data: $(STAMP)
	@$(PY) -m sdarts_lite fetch fashion 2>/dev/null | grep ready \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
	       && $(PY) -m sdarts_lite fetch fashion 2>/dev/null | grep ready; } \
	  || echo "Fashion-MNIST not found: apt-get install dataset-fashion-mnist (Debian), or run online once" \
	          "(torchvision downloads it); its tests skip, and the demo uses digits"

demo: $(STAMP) data  ## single vs bi-level on Fashion-MNIST (digits without it); writes runs/demo/report.html
	@if $(PY) -m sdarts_lite fetch fashion >/dev/null 2>&1; then \
	    $(PY) -m sdarts_lite compare --preset fashion --seed 100 --out runs/demo; \
	else \
	    echo "No Fashion-MNIST: the demo runs on the bundled 8x8 digits instead, where the supernet memorises" \
	         "the data and single-level's alpha hardly moves, so it cannot show single-level keeping its" \
	         "convolutions (README: The lesson)"; \
	    $(PY) -m sdarts_lite compare --preset laptop --out runs/demo-digits; \
	fi

# NBVAL=0 leaves the notebooks out of make test: CI does, after make book --check has executed every
# notebook as another CPU would and compared every checked output (what nbval compares).
NBVAL ?= 1
test: $(STAMP) data  ## lint, then every test
	$(VENV)/bin/ruff check sdarts_lite tests benchmarks tools
	$(PY) -m pytest -q tests $(if $(filter 0,$(NBVAL)),,notebooks --nbval-lax)

test-notebooks: $(STAMP)  ## the notebooks alone under nbval (CI checks them once more as another CPU would, in make book)
	$(PY) -m pytest -q notebooks --nbval-lax

test-browser: $(STAMP)  ## notebook 02 in JupyterLab and the book's pages, in headless Chromium (needs the browser extra)
	$(PY) -m pip install --quiet -e ".[browser]"
	$(PY) -m pytest -q tests/frontends/browser

bench: $(STAMP)  ## where a search's time goes (step against peak, search against its steps, lambda_max against an epoch, a study's searches per hour), search steps against xautodl's (not a test)
	$(PY) benchmarks/speed.py
	$(PY) -m pip install --quiet --no-deps xautodl
	$(PY) benchmarks/search_step.py --digits --repeats 3
	$(PY) benchmarks/sharpness.py

exercises: $(STAMP)  ## each notebook's exercises written from notebooks/solutions, the solutions taken out
	$(PY) -m tools.exercise_sections

notebooks: $(STAMP) exercises  ## execute the notebooks in order from no kept runs, keep only the outputs nbval checks, time them (assets/times.json), then the solutions
	$(PY) -m tools.notebook_outputs

figures: $(STAMP)  ## the README's figures (assets/figures/*.png: two fashion searches, the committed studies) and the generated numbers of the README, docs/course.md and docs/instructor.md
	$(PY) -m tools.readme_figures

book: $(STAMP)  ## every notebook executed, rendered to build/book/ with docs/ (BOOK_EXECUTE=0: from the last build's executed copies)
	$(PY) -m tools.book $(if $(filter 0,$(BOOK_EXECUTE)),--no-execute) $(BOOK_FLAGS)

gallery: $(STAMP)  ## the book, and every notebook's figures drawn into notebooks/figures/ (committed, for readers of the repository)
	$(PY) -m tools.book $(if $(filter 0,$(BOOK_EXECUTE)),--no-execute) --gallery

lint: $(STAMP)
	$(VENV)/bin/ruff check sdarts_lite tests benchmarks tools

clean:
	rm -rf runs build .pytest_cache
