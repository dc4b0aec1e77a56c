# AI Evidence Tracker - everyday commands. `make run` and `make test` are the two that matter.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000

# Links in mail and the sign-in links `make run` prints: TRACKER_BASE_URL when it is set, else this
# server's own address (a wildcard HOST is reached on loopback; an IPv6 address goes in brackets).
LINK_HOST = $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(if $(filter ::,$(HOST)),::1,$(HOST)))
run serve worker base-url: export TRACKER_BASE_URL ?= http://$(if $(findstring :,$(LINK_HOST)),[$(LINK_HOST)],$(LINK_HOST)):$(PORT)
# The demo agency works in Belgium, and answers that CETS 225 binds it from the EU's ratification.
# A real installation sets its own (see the README's configuration): `make serve` sets nothing.
run: export TRACKER_AGENCY_COUNTRIES ?= BE
run: export TRACKER_BINDING ?= coe-cets225=2026-05-15

.PHONY: run serve worker base-url mail-sink test lint format translations bench bench-upload bench-completeness bench-reminders bench-system-page bench-portfolio bench-http bench-pack bench-store audit-probe slow-client-probe clean \
        system-packages-run system-packages-test system-packages-bench

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# The Debian packages each target needs, installed when missing (as root with apt), otherwise the
# exact command to run is printed and make stops. Quick when everything is there.
system-packages-run:
	@bash scripts/install_system_packages.sh libmagic1

# The browser tests drive the system Chromium, the proxy test runs nginx, the backup tests
# pg_dump: as root this runs `apt-get install nginx postgresql-client chromium libmagic1` when
# they are missing (apt-get update first if apt does not know them).
system-packages-test:
	@bash scripts/install_system_packages.sh nginx postgresql-client chromium libmagic1

# The HTTP benchmark drives the server with wrk; the pack benchmark compares with `zip -0`.
system-packages-bench:
	@bash scripts/install_system_packages.sh wrk zip

## run: install, create the SQLite database, seed the demo agency into it if it is empty, serve on
## http://$(HOST):$(PORT)/ (a database with data is served as it is)
run: system-packages-run $(STAMP)
	$(BIN)/tracker db upgrade
	$(BIN)/python scripts/demo_data.py
	$(BIN)/tracker serve --host $(HOST) --port $(PORT)

## serve: serve without touching the data (real installs)
serve: system-packages-run $(STAMP)
	$(BIN)/tracker serve --host $(HOST) --port $(PORT)

## base-url: print the address links in mail will use with these HOST and PORT
base-url:
	@echo "$$TRACKER_BASE_URL"

## worker: the RQ worker and RQ's cron scheduler for the daily reminder sweep (needs Redis)
worker: $(STAMP)
	$(BIN)/tracker scheduler & $(BIN)/tracker worker

## mail-sink: a local SMTP server printing every e-mail (set TRACKER_SMTP_PORT=8025)
mail-sink: $(STAMP)
	$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:8025

## test: lint, then the whole test suite on SQLite and PostgreSQL
test: system-packages-test $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## translations: extract the marked strings, update each language's messages.po, compile its
## messages.mo, then list what is left to translate (tests/test_i18n.py fails until it is done)
translations: $(STAMP)
	$(BIN)/python -m tracker.i18n.catalogues

## bench: every benchmark (on the realistic agency of scripts/bench_data.py, generated once and
## cached in .bench-cache/), then one table of their headline figures (each appends JSON lines to
## BENCH_RESULTS); a benchmark that fails leaves its rows out and the others still run
bench: export BENCH_RESULTS ?= $(CURDIR)/.bench-cache/results.jsonl
bench: $(STAMP)
	@mkdir -p .bench-cache && rm -f "$$BENCH_RESULTS"
	-$(MAKE) --no-print-directory -k bench-upload bench-completeness bench-reminders bench-system-page \
		bench-portfolio bench-http bench-pack bench-store
	$(BIN)/python scripts/bench_summary.py "$$BENCH_RESULTS"

bench-upload: $(STAMP)
	$(BIN)/python scripts/bench_upload.py

bench-completeness: $(STAMP)
	$(BIN)/python scripts/bench_completeness.py

bench-reminders: $(STAMP)
	$(BIN)/python scripts/bench_reminders.py

## bench-system-page: server time of one system page with 100 evidence items and its chart
## (SQLite, and PostgreSQL when reachable; target under 50 ms)
bench-system-page: $(STAMP)
	$(BIN)/python scripts/bench_system_page.py

## bench-portfolio: the portfolio's index at 20,000 systems (full recompute, pages read)
bench-portfolio: $(STAMP)
	$(BIN)/python scripts/bench_portfolio.py

## bench-http: the production server under load (scripts/bench_http.py): each main endpoint at 8
## and 32 clients, p50/p95/p99 and requests/s, workers' RSS; SQLite, then PostgreSQL at
## BENCH_PG_URL when reachable. BENCH_HTTP_ARGS: e.g. --systems 2000 --duration 10
BENCH_HTTP_ARGS ?= --systems 20000
BENCH_PG_URL ?= postgresql://127.0.0.1:5432/test
bench-http: system-packages-bench $(STAMP)
	$(BIN)/python scripts/bench_http.py $(BENCH_HTTP_ARGS)
	$(BIN)/python scripts/bench_http.py $(BENCH_HTTP_ARGS) --database-url $(BENCH_PG_URL) --if-reachable

## bench-pack: a 2 GiB evidence pack (16 files of 128 MiB, BENCH_PACK_ARGS) built with `tracker
## pack` beside `zip -0` of the same files, and downloaded from `tracker serve` with a resumed
## range request: MiB/s, the ratio (target >= 50 %) and memory growth (target < 64 MiB); needs
## about 8.5 GiB free in the temporary folder (--work-dir DIR to use another)
BENCH_PACK_ARGS ?=
bench-pack: system-packages-bench $(STAMP)
	$(BIN)/python scripts/bench_pack.py $(BENCH_PACK_ARGS)

## bench-store: the evidence store's put+commit and verified read of 256 MiB, folder store
## against the S3 store on moto's server (an emulator: its speed is not S3's), MB/s, medians of 3
bench-store: $(STAMP)
	$(BIN)/python scripts/bench_store.py

## audit-probe: rewrite the audit trail three ways as a database writer would (on copies of a
## scratch database) and show `tracker audit verify` catching each
audit-probe: $(STAMP)
	$(BIN)/python scripts/audit_tamper_probe.py

## slow-client-probe: hold 50 half-sent requests on a scratch server and print how fast
## /register and /api/systems still answer (target under 1 s) and how a 200 MB upload does
slow-client-probe: $(STAMP)
	$(BIN)/python scripts/slow_client_probe.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
