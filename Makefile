# Two commands for a new user: `make demo` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-unit test-isa test-offline bench calls

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/hotline-qc demo --out demo-run

# the import contracts first (pyproject's [tool.importlinter], docs/architecture.md): a broken layer fails at once
test: $(BIN)/.installed /usr/bin/chromium
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q

# the fast tests alone (tests/conftest.py marks `unit` every test not marked model, browser or slow)
test-unit: $(BIN)/.installed
	$(BIN)/pytest -q -m unit

# Whisper's int8 output differs between CPU instruction sets: the model tests once more under other ones than this
# CPU's own (CTranslate2 and torch each pick their kernels from these variables)
test-isa: $(BIN)/.installed
	CT2_FORCE_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 $(BIN)/pytest -q -m model
	CT2_FORCE_CPU_ISA=GENERIC ATEN_CPU_CAPABILITY=default $(BIN)/pytest -q -m model

# the dashboard's browser tests drive Debian's headless Chromium (Playwright's own download needs its CDN)
/usr/bin/chromium:
	apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium not installed (needs root and Debian's registry): the browser tests will be skipped"

# the whole suite in a network namespace with only loopback (unshare -rn needs unprivileged user namespaces)
test-offline: $(BIN)/.installed /usr/bin/chromium
	unshare -rn sh -c 'ip link set lo up && $(BIN)/pytest -q'

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.asr_throughput

# Regenerating synthetic calls needs RHVoice (Debian non-free), unpacked privately by the shared tool;
# RHVoice-test also needs libsonic0 and libpulse0, which that tool does not install.
calls: $(BIN)/.installed
	../shared/tools/install-rhvoice.sh
	apt-get install -y -qq libsonic0 libpulse0
	$(BIN)/hotline-qc generate-calls --out demo-run/generated --count 60 --seed 1
