# echod: a thread-per-connection TCP echo/talk daemon.
#
#   make          build ./echod
#   make run      build and run in the foreground on 127.0.0.1:7007
#   make test     build and run every test (unit and integration)
#
# Missing Debian packages are installed with apt-get when run as root;
# otherwise the exact command to run is printed and make stops.

VERSION   = 0.1.0
CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS  = -Wall -Wextra -Werror
PKG_CONFIG ?= pkg-config

INIH_CFLAGS = $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS   = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DECHOD_VERSION='"$(VERSION)"' \
	$(INIH_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARNINGS) -pthread -MMD -MP $(SANITIZE_FLAGS) $(CFLAGS)
ALL_LDFLAGS  = -pthread $(SANITIZE_FLAGS) $(LDFLAGS)

ifneq ($(SANITIZE),)
SANITIZE_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(filter-out build/main.o,$(OBJS))
UNIT_SRCS = $(wildcard test/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:test/unit/%.c=build/test/%.o)

BUILD_DEPS = pkg-config libinih-dev
TEST_DEPS  = libcmocka-dev netcat-openbsd socat

.PHONY: all run test clean deps test-deps

all: deps
	@$(MAKE) --no-print-directory echod

echod: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(INIH_LIBS)

build/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

build/test/%.o: test/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

test/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(INIH_LIBS) $(CMOCKA_LIBS)

run: all
	@echo "echod: serving echo on 127.0.0.1:7007; try: nc 127.0.0.1 7007 (Ctrl-C stops)"
	./echod -c etc/echod.conf -l 127.0.0.1:7007

test: deps test-deps
	@$(MAKE) --no-print-directory echod test/unit_tests
	@bash test/run

# Installs missing Debian packages as root, or says how to and stops.
define need_packages
@command -v dpkg-query >/dev/null || exit 0; missing=""; \
for p in $(1); do \
  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
    missing="$$missing $$p"; \
done; \
[ -z "$$missing" ] && exit 0; \
if [ "$$(id -u)" = 0 ]; then \
  echo "echod: installing$$missing"; \
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
else \
  echo "echod: missing packages:$$missing"; \
  echo "run:   sudo apt-get install -y$$missing"; \
  exit 1; \
fi
endef

deps:
	$(call need_packages,$(BUILD_DEPS) $(if $(filter clang%,$(CC)),clang,gcc))

test-deps:
	$(call need_packages,$(TEST_DEPS))

clean:
	rm -rf build echod test/unit_tests

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
