# faultline build. `make run` and `make test` install missing system packages first (make deps).

PREFIX   ?= /usr/local
BUILD    ?= build
PKGS     := libuv lua5.4 libcjson
DEB_PKGS := libuv1-dev liblua5.4-dev libcjson-dev pkg-config

CC       ?= cc
OPT      ?= -O2
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes $(OPT) -g $(SAN) -Iinclude
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -lm
LDFLAGS  += $(SAN)

LIB_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c)) $(wildcard reports/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/faultline

.PHONY: all deps run test check-tests asan bench install clean

all: $(BIN)

# Installs only what pkg-config cannot find (needs root or sudo).
deps:
	@missing=""; \
	pkg-config --version >/dev/null 2>&1 || missing="pkg-config"; \
	pkg-config --exists libuv    2>/dev/null || missing="$$missing libuv1-dev"; \
	pkg-config --exists lua5.4   2>/dev/null || missing="$$missing liblua5.4-dev"; \
	pkg-config --exists libcjson 2>/dev/null || missing="$$missing libcjson-dev"; \
	command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || missing="$$missing build-essential"; \
	if [ -n "$$missing" ]; then \
	  echo "faultline: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BUILD)/%.o: %.c $(wildcard include/faultline/*.h) $(wildcard sim/*.h) $(wildcard reports/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/libfaultline.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/sim/main.o $(BUILD)/libfaultline.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/check.h $(BUILD)/libfaultline.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests -o $@ $< $(BUILD)/libfaultline.a $(LDFLAGS) $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p out
	$(BIN) run scenarios/black_friday.lua --json out/black_friday.json

check-tests: $(BIN) $(TEST_BIN)
	@BUILD=$(BUILD) bash tests/run.sh

# The suite, then (where time allows: always, unless FAULTLINE_SKIP_ASAN=1) again under sanitizers.
test: deps
	@rm -f build/test-counts build-asan/test-counts
	@$(MAKE) --no-print-directory check-tests || true
	@if [ "$${FAULTLINE_SKIP_ASAN:-0}" != 1 ]; then $(MAKE) --no-print-directory asan || true; fi
	@want=2; [ "$${FAULTLINE_SKIP_ASAN:-0}" = 1 ] && want=1; \
	cat build/test-counts build-asan/test-counts 2>/dev/null | \
	  awk -v want=$$want '{p += $$1; f += $$2; n++} END {if (n < want) f += want - n; print p " passed, " f " failed"; exit (f > 0)}'

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 FAULTLINE_SANITIZED=1 check-tests \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/bench/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/faultline

clean:
	rm -rf build build-asan out
