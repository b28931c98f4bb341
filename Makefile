# lamda — build, test and run. GNU make + pkg-config.
#
# Sources are discovered, not listed: every src/**/*.c except src/main.c goes into
# build/liblamda.a; every tests/unit/test_*.c becomes one test program; every
# tools/*.c becomes one program in build/. Adding a file needs no Makefile edit.

PKGS    := libcurl libcjson libpq sqlite3 libsecp256k1 libnats libh2o-evloop libwebsockets openssl libcrypt
SAN     ?= 0
BUILD   ?= $(if $(filter 1,$(SAN)),build/asan,build)
CC      ?= cc

# Read when this file is parsed. On a fresh machine the packages are not there yet, so the
# targets a user types (test, run, …) run scripts/bootstrap.sh first and then build in a
# sub-make (see `build` below), which parses this file again and so sees the new packages.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_OK     := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo 1)

# H2O_USE_LIBUV=0 selects h2o's own evloop (libh2o-evloop), see docs/design.md §5.
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Wall -Wextra -Werror -Isrc $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC   := $(shell find src -name '*.c' ! -path src/main.c | sort)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  := $(sort $(wildcard tools/*.c))
TOOL_BIN  := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all build pkgcheck lamda tools test unit-test integration-test asan test-asan bootstrap devnet devnet-down \
        run demo start start-node-registry start-job-dispatcher start-reputation-service \
        start-api-gateway bench fuzz chaos clean format

all: $(BUILD)/lamda $(TOOL_BIN) $(TEST_BIN) $(BENCH_BIN)

lamda: $(BUILD)/lamda
tools: $(TOOL_BIN)

# Without the libraries every compile would fail on a missing header; say what to do instead.
pkgcheck:
	@$(if $(PKG_OK),true,echo "lamda: libraries missing ($(PKGS)); run 'make build' or scripts/bootstrap.sh" >&2; exit 1)

$(BUILD)/obj/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/liblamda.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/lamda: $(BUILD)/obj/src/main.o $(BUILD)/liblamda.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/liblamda.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/obj/tools/%.o $(BUILD)/liblamda.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/liblamda.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bootstrap:
	@scripts/bootstrap.sh

# Install what is missing, then build everything. The build is a sub-make so that it parses
# this file after bootstrap: one `make test` or `make run` works on a machine that had none of
# the packages (tests/integration/test_first_contact.sh proves it).
build:
	@scripts/bootstrap.sh
	@$(MAKE) --no-print-directory all

# The whole suite: unit tests, then integration tests against real services. TESTS narrows
# it, as tests/run.sh's arguments: `make test TESTS="integration dispatch"`.
test: build
	@BUILD=$(BUILD) tests/run.sh $(TESTS)

unit-test: build
	@BUILD=$(BUILD) tests/run.sh unit

integration-test: build
	@BUILD=$(BUILD) tests/run.sh integration

asan:
	@scripts/bootstrap.sh
	@$(MAKE) --no-print-directory SAN=1 all

test-asan:
	@scripts/bootstrap.sh
	@$(MAKE) --no-print-directory SAN=1 test

devnet: build
	@scripts/devnet.sh up

devnet-down:
	@scripts/devnet.sh down

run: build
	@scripts/run.sh

demo: build
	@scripts/demo.sh

start: run
start-node-registry start-job-dispatcher start-reputation-service start-api-gateway: build
	@scripts/start-service.sh $(patsubst start-%,%,$@)

bench: build
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	@scripts/bench.sh

fuzz: build
	@scripts/fuzz.sh

chaos: build
	@scripts/chaos.sh

format:
	clang-format -i $$(find src tests tools bench fuzz -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# Migrations are embedded into liblamda.a: build/gen/migrations.c is generated from
# migrations/*/*.sql (see src/store/migrations.h).
MIGRATION_SQL := $(sort $(wildcard migrations/*/*.sql))
$(BUILD)/gen/migrations.c: scripts/embed.sh $(MIGRATION_SQL)
	@mkdir -p $(dir $@)
	scripts/embed.sh $(MIGRATION_SQL) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/liblamda.a: $(BUILD)/obj/gen/migrations.o

# The dashboard's files are embedded the same way: build/gen/dashboard_assets.c from
# web/dashboard/* (see src/api/dashboard_assets.h).
DASH_FILES := $(sort $(wildcard web/dashboard/*))
$(BUILD)/gen/dashboard_assets.c: scripts/embed_assets.sh $(DASH_FILES)
	@mkdir -p $(dir $@)
	scripts/embed_assets.sh $(DASH_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/dashboard_assets.o: $(BUILD)/gen/dashboard_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/liblamda.a: $(BUILD)/obj/gen/dashboard_assets.o
