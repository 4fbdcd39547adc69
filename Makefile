# faultline build. `make` (= `make all`) fetches the report's chart library by npm on the first
# build when npm is there; `make run` and `make test` install missing system packages first (make deps).

PREFIX   ?= /usr/local
BUILD    ?= build
PKGS     := libuv lua5.4 libcjson libgvc libcgraph yaml-0.1
DEB_PKGS := libuv1-dev liblua5.4-dev libcjson-dev libgraphviz-dev libyaml-dev pkg-config
# deps also installs tools for the HTML report's charts (uPlot from npm, inlined at build time), its
# browser test (Debian chromium, playwright-core from npm: reports/web/package.json) and for checking `faultline
# graph` output (graphviz): never needed to run faultline, and skipped with a warning when missing.

CC       ?= cc
# Link-time optimisation: sim/run/ is one file per concept, and the hot path crosses them
# (arrive, complete, calls, balancer); -flto inlines across files as one file did (make bench).
# An archive of LTO objects needs the plugin-aware gcc-ar. make asan (OPT=-O1) and make fuzz go without.
OPT      ?= -O2 -flto=auto
LIB_AR   ?= gcc-ar
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(OPT) -g $(SAN) -Iinclude
# Each object also writes its header dependencies (build/**/*.d), read back below.
DEPFLAGS  = -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -lm
LDFLAGS  += $(SAN)

LIB_SRC  := $(filter-out sim/cli/main.c,$(wildcard sim/*/*.c)) $(wildcard reports/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web_assets.o
# The report's web assets, embedded into the binary: ours from reports/web/, uPlot from npm
# (reports/web/package.json, installed by `make deps` into $(WEB_NODE), never committed)
# when `make deps` installed it (node_modules/.package-lock.json is rewritten by every npm install).
WEB_NODE   := reports/web/node_modules
WEB_ASSETS := fl_web_report_html=reports/web/report.html fl_web_report_css=reports/web/report.css \
  fl_web_dashboard_js=reports/web/dashboard.js fl_web_live_js=reports/web/live.js \
  fl_web_diff_html=reports/web/diff.html fl_web_diff_js=reports/web/diff.js \
  fl_web_uplot_js=$(WEB_NODE)/uplot/dist/uPlot.iife.min.js+$(WEB_NODE)/uplot/LICENSE \
  fl_web_uplot_css=$(WEB_NODE)/uplot/dist/uPlot.min.css
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/faultline

.PHONY: all web-node deps run test check-tests asan bench fuzz fcast install clean golden

# One command builds: the first `make` fetches the chart library (what `make deps` does for npm)
# when it is missing and npm is there, then builds in a second pass, which sees it.
all:
	@$(MAKE) --no-print-directory web-node
	@$(MAKE) --no-print-directory $(BIN)

# uPlot for the HTML report's charts, by npm, only when missing (make deps also updates it and
# installs npm itself). Without npm the report draws its own SVG charts.
web-node:
	@if [ ! -f $(WEB_NODE)/uplot/dist/uPlot.iife.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "faultline: npm ci (uPlot for the HTML report's charts, playwright-core for its browser test)"; \
	    npm ci --prefix reports/web --no-audit --no-fund --loglevel=error || echo "faultline: warning: npm ci failed: the HTML report will use its own SVG charts"; \
	  else echo "faultline: note: no npm: the HTML report will use its own SVG charts (make deps installs npm)"; fi; \
	fi

# Installs only what pkg-config cannot find (needs root or sudo).
deps:
	@missing=""; \
	pkg-config --version >/dev/null 2>&1 || missing="pkg-config"; \
	pkg-config --exists libuv    2>/dev/null || missing="$$missing libuv1-dev"; \
	pkg-config --exists lua5.4   2>/dev/null || missing="$$missing liblua5.4-dev"; \
	pkg-config --exists libcjson 2>/dev/null || missing="$$missing libcjson-dev"; \
	pkg-config --exists yaml-0.1 2>/dev/null || missing="$$missing libyaml-dev"; \
	pkg-config --exists libgvc libcgraph 2>/dev/null || missing="$$missing libgraphviz-dev"; \
	command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || missing="$$missing build-essential"; \
	if [ -n "$$missing" ]; then \
	  echo "faultline: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@tools=""; \
	command -v dot >/dev/null 2>&1 || tools="graphviz"; \
	command -v chromium >/dev/null 2>&1 || tools="$$tools chromium"; \
	command -v node >/dev/null 2>&1 || tools="$$tools nodejs"; \
	command -v npm >/dev/null 2>&1 || tools="$$tools npm"; \
	command -v parallel >/dev/null 2>&1 || tools="$$tools parallel"; \
	command -v python3 >/dev/null 2>&1 || tools="$$tools python3"; \
	command -v curl >/dev/null 2>&1 || tools="$$tools curl"; \
	command -v valgrind >/dev/null 2>&1 || tools="$$tools valgrind"; \
	dpkg -s python3-prometheus-client >/dev/null 2>&1 || tools="$$tools python3-prometheus-client"; \
	if [ -n "$$tools" ]; then \
	  echo "faultline: installing$$tools (report charts and tests)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$tools; } || \
	    echo "faultline: warning: could not install$$tools: browser or graph checks will be skipped"; \
	fi
	@if [ ! -f $(WEB_NODE)/uplot/dist/uPlot.iife.min.js ] || [ ! -f $(WEB_NODE)/playwright-core/package.json ] || \
	    [ reports/web/package-lock.json -nt $(WEB_NODE)/.package-lock.json ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "faultline: npm ci (uPlot for the HTML report, playwright-core for its browser test)"; \
	    npm ci --prefix reports/web --no-audit --no-fund --loglevel=error || echo "faultline: warning: npm ci failed: the HTML report will use its own SVG charts"; \
	  else echo "faultline: warning: no npm: the HTML report will use its own SVG charts"; fi; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/gen/web_assets.c: reports/web/embed.sh reports/web/report.html reports/web/report.css reports/web/dashboard.js reports/web/live.js reports/web/diff.html reports/web/diff.js \
                           $(wildcard $(WEB_NODE)/.package-lock.json)
	@mkdir -p $(dir $@)
	sh reports/web/embed.sh $@ $(WEB_ASSETS)

$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libfaultline.a: $(LIB_OBJ)
	@rm -f $@
	$(LIB_AR) rcs $@ $^

# Links warn but never fail on warnings: every source was compiled with -Werror already, and with
# link-time optimisation gcc re-runs some checks (alloc-size, stringop) on code inlined across files,
# where what it reports depends on how the link is partitioned, not on the code.
LINK_WARN := -Wno-error

$(BIN): $(BUILD)/sim/cli/main.o $(BUILD)/libfaultline.a
	$(CC) $(CFLAGS) $(LINK_WARN) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -Itests -c $< -o $@

.SECONDARY: $(TEST_BIN:%=%.o)
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libfaultline.a
	$(CC) $(CFLAGS) $(LINK_WARN) -o $@ $^ $(LDFLAGS) $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p out
	$(BIN) run scenarios/black_friday.lua --json out/black_friday.json --html out/black_friday.html

# The binaries build on every core (each test links the whole library: with -flto that is the slow
# part), then the suite runs.
check-tests:
	@$(MAKE) --no-print-directory -j$$(nproc 2>/dev/null || echo 2) $(BIN) $(TEST_BIN)
	@BUILD=$(BUILD) bash tests/run.sh

# The suite, then (where time allows: always, unless FAULTLINE_SKIP_ASAN=1) again under sanitizers.
test: deps
	@rm -f build/test-counts build-asan/test-counts
	@$(MAKE) --no-print-directory check-tests || true
	@if [ "$${FAULTLINE_SKIP_ASAN:-0}" != 1 ]; then $(MAKE) --no-print-directory asan || true; fi
	@want=2; [ "$${FAULTLINE_SKIP_ASAN:-0}" = 1 ] && want=1; \
	cat build/test-counts build-asan/test-counts 2>/dev/null | \
	  awk -v want=$$want '{p += $$1; f += $$2; n++} END {if (n < want) f += want - n; print p " passed, " f " failed"; exit (f > 0)}'

# Graphviz 2.43 keeps its plugin configuration for the life of the process: tests/lsan.supp.
asan:
	@LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}" \
	  $(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 FAULTLINE_SANITIZED=1 check-tests \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/bench/run.sh

# libFuzzer targets (tests/fuzz/): the library built by clang with coverage and sanitizers into
# build-fuzz/, then each target run FUZZ_SECONDS (default 30) from its corpus (tests/fuzz/run.sh).
FUZZ_SECONDS ?= 30
fuzz: deps fcast
	@command -v clang >/dev/null 2>&1 || { echo "faultline: installing clang (libFuzzer)"; SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang; }
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang build-fuzz/libfaultline.a \
	  CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -g -O1 -Iinclude -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	@BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) PKG_CFLAGS="$(PKG_CFLAGS)" LDLIBS="$(LDLIBS)" bash tests/fuzz/run.sh

# clang's float-cast-overflow (not in gcc's -fsanitize=undefined) with address and undefined over
# the fuzz corpora (test_fuzz_corpus), the hostile inputs, the importers and the hardening tests
# (tests/cli_hardening.sh with the clang binary; about two minutes once built). `make fuzz` runs it first.
FCAST_TESTS := test_fuzz_corpus test_hostile test_hardening test_import
fcast: deps
	@command -v clang >/dev/null 2>&1 || { echo "faultline: installing clang"; SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang; }
	@$(MAKE) --no-print-directory BUILD=build-fcast CC=clang OPT=-O1 FAULTLINE_SANITIZED=1 \
	  SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  $(FCAST_TESTS:%=build-fcast/tests/%) build-fcast/faultline
	@fail=0; for t in $(FCAST_TESTS); do \
	  LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0" FAULTLINE_SANITIZED=1 BUILD=build-fcast \
	    FAULTLINE=build-fcast/faultline build-fcast/tests/$$t > build-fcast/$$t.log 2>&1 || { tail -20 build-fcast/$$t.log; echo "FAIL fcast $$t"; fail=1; }; \
	  grep -E '^# .*passed' build-fcast/$$t.log | tail -1; done; \
	LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0" FAULTLINE_SANITIZED=1 FAULTLINE=build-fcast/faultline \
	  bash tests/cli_hardening.sh > build-fcast/cli_hardening.log 2>&1 || { grep -v '^ok' build-fcast/cli_hardening.log; fail=1; }; \
	grep -E '^# .*passed' build-fcast/cli_hardening.log; exit $$fail

# Rewrites the golden reports (tests/golden/X.json from scenarios/X.lua, minus "run") after an
# intended change of the numbers or of the report.
golden: $(BIN)
	@for g in tests/golden/*.json; do n=$$(basename $$g .json); \
	  $(BIN) run scenarios/$$n.lua -q --json $(BUILD)/golden.json >/dev/null 2>&1; \
	  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r.pop('run'); json.dump(r, open(sys.argv[2],'w'), indent=1, sort_keys=True)" $(BUILD)/golden.json $$g; \
	  echo "golden: $$g"; done

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/faultline

# Header dependencies written by -MMD (a missing one just means 'not built yet').
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

clean:
	rm -rf build build-asan build-fuzz build-fcast out
