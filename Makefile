# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INDEX  ?= index
HOST   ?= 127.0.0.1
PORT   ?= 5000
PARAGRAPHS ?= 100000
WORKERS ?= 2

.PHONY: install index serve test test-fast bench eval load topic-table clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# setuptools warns on every editable install that a folder named like a package
	# shadows it: here that folder is the package itself
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# the code's bytecode, written once after each change: a one-shot `govsearch query` then skips
# compiling its modules (about 0.1 s), also where PYTHONDONTWRITEBYTECODE keeps Python from
# writing it as it imports them
COMPILED := $(VENV)/.compiled
SOURCES  := $(wildcard indexer/*.py indexer/formats/*.py search/*.py cli/*.py webui/*.py)

$(COMPILED): $(STAMP) $(SOURCES)
	$(BIN)/python -m compileall -q indexer search cli webui >/dev/null
	touch $(COMPILED)

install: $(STAMP) $(COMPILED)

# incremental: adds, updates or removes only what changed in seeds/; rebuilds
# when the index was made by another analyzer version
index: $(STAMP) $(COMPILED)
	$(BIN)/govsearch index seeds --index $(INDEX) --rebuild-if-stale

serve: index
	$(BIN)/govsearch serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not browser"

bench: $(STAMP)
	$(BIN)/python -m bench --paragraphs $(PARAGRAPHS)

# quality figures the README quotes: ranking precision@10 on the judged queries,
# indicator extraction precision and recall on the hand-read gold facts
eval: $(STAMP)
	$(BIN)/python -m bench.eval_ranking
	$(BIN)/python -m bench.eval_indicators

# 50 clients for 60 s on loopback against `govsearch serve` over the bench corpus
# of $(PARAGRAPHS) paragraphs, while one more client sends the expensive searches
# (bench/expensive.py) and an index run adds the seeds (tests/test_load.py runs a
# short version)
load: $(STAMP)
	$(BIN)/python -m bench.load --clients 50 --seconds 60 --paragraphs $(PARAGRAPHS) --expensive --workers $(WORKERS)

# indexer/topic_vectors.npz, the word vectors of the topic factor (indexer/topics.py): distilled
# once from a sentence model that indexing and search never load (about 12 minutes); indexes
# made with the old table then need a rebuild
topic-table: $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[topic-table]'
	$(BIN)/python -m bench.topic_table

clean:
	rm -rf $(INDEX)/CURRENT $(INDEX)/data-* $(INDEX)/write.lock tests/artifacts .pytest_cache
