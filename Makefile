# echod: a thread-per-connection echo/talk daemon (TCP, UDP, Unix sockets).
#
#   make          build ./echod
#   make run      build and run in the foreground on 127.0.0.1:7007
#   make test     build and run every test (unit and integration)
#   make test SANITIZE=address,undefined CC=clang   (or SANITIZE=thread)
#                 the same, built with sanitizers; any report fails
#   make valgrind a short session of ./echod under valgrind's memcheck
#   make bench    echod against yardsticks, a table of medians (QUICK=1:
#                 about a minute)
#   make install  install the daemon, its man pages, the systemd units and
#                 (unless one exists) the configuration file; honours
#                 DESTDIR, PREFIX, SBINDIR, SYSCONFDIR, MANDIR and UNITDIR
#   make uninstall  remove what make install put there, except the
#                 configuration file
#
# make run, make test, make valgrind, make bench and make fuzz install
# missing Debian packages with apt-get when run as root; otherwise they
# print the exact command to run and stop.  Plain make and make install
# never install anything: without inih they say what to install.
#
# Packagers: CC, CFLAGS, CPPFLAGS and LDFLAGS are honoured.  Warnings are
# errors only in make test (and so in CI), never in a plain build, so that
# a newer compiler's new warning does not fail a package build.

VERSION   = 0.1.0
CC       ?= cc
CFLAGS   ?= -O2 -g
# The OpenBSD set beyond -Wall -Wextra; clean under gcc and clang.
WARNINGS  = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2
# make test sets WERROR=-Werror; a plain build leaves warnings warnings.
WERROR   ?=
PKG_CONFIG ?= pkg-config

# Installation directories.  SYSCONFDIR also sets the configuration file
# the daemon reads by default, and the one the systemd unit names.
DESTDIR    ?=
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null)
ifeq ($(strip $(UNITDIR)),)
override UNITDIR := $(PREFIX)/lib/systemd/system
endif
CONFIG_PATH = $(SYSCONFDIR)/echod/echod.conf

INIH_CFLAGS = $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS   = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DECHOD_VERSION='"$(VERSION)"' \
	-DDEFAULT_CONFIG_PATH='"$(CONFIG_PATH)"' $(INIH_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARNINGS) $(WERROR) -pthread -MMD -MP $(SANITIZE_FLAGS) $(CFLAGS)
# -z now: symbols are bound at start, not by the first worker to call
# each one (lazy binding takes more stack than an idle worker touches);
# with relro the binding table is read-only after that.
ALL_LDFLAGS  = -pthread -Wl,-z,relro,-z,now $(SANITIZE_FLAGS) $(LDFLAGS)

ifneq ($(SANITIZE),)
SANITIZE_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
# With clang: its sanitizer runtimes, and llvm-symbolizer for file:line
# in reports (gcc's come with gcc).
SANITIZE_DEPS  = $(if $(filter clang%,$(CC)),libclang-rt-14-dev llvm)
endif

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(filter-out build/main.o,$(OBJS))
UNIT_SRCS = $(wildcard test/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:test/unit/%.c=build/test/%.o)

# What make test installs: a test case that misses a tool from these fails
# rather than skips (test/lib.sh's need reads both lists).
BUILD_DEPS = pkg-config libinih-dev
# systemd for systemd-analyze (verify, security); man-db because verify
# looks the units' Documentation= pages up with man; strace to check the
# unit's system call filter against what echod does; mandoc for -Tlint;
# iproute2 for ss (a listening socket's queue length); time (GNU) for the
# peak memory of reading a huge config file; systemd-container for
# systemd-nspawn, to run the unit under a booted systemd; haproxy for the
# scale-out test in front of several echod (etc/haproxy-echod.cfg.example).
TEST_DEPS  = libcmocka-dev netcat-openbsd socat systemd man-db strace mandoc \
	iproute2 time systemd-container haproxy

# echod@.service: an instance per configuration file (several on one
# machine, echod(8)); made from its .in file as echod.service is.
UNITS = systemd/echod.service systemd/echod@.service systemd/echod.socket

# What the unit sets too: less static TLS per thread, so that an idle
# connection's thread touches one stack page, not two (echod(8), RESOURCES).
TUNABLES = glibc.rtld.nns=1:glibc.rtld.optional_static_tls=0

.PHONY: all run test valgrind clean deps test-deps units install uninstall FORCE

# Plain make never installs packages: without inih it stops and says how
# to get it (make run and make test install it themselves, then build in
# a second make that finds it).
ifeq ($(INIH_LIBS),)
ifneq ($(filter all echod test/unit_tests install,$(or $(MAKECMDGOALS),all)),)
$(error inih not found by pkg-config; run: sudo apt-get install -y \
	$(BUILD_DEPS) (or make run / make test, which install what is missing))
endif
endif

all: echod units

units: $(UNITS)

echod: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(INIH_LIBS)

# What the build depends on beyond its sources: the directories compiled
# into the daemon and written into the unit, and the compiler with its
# flags.  A stamp file is remade only when its value changed since it was
# written, so that a build with other values remakes what depends on them
# (no build mixes sanitized and plain objects), and an unchanged tree is
# up to date, for make -n too.
differ = $(subst $(1),,$(2))$(subst $(2),,$(1))
stale  = $(if $(call differ,$(file <$(1)),$(2)),FORCE)
quote  = '$(subst ','\'',$(1))'
STAMPS = build/config-path build/unit-paths build/flags
build/config-path: STAMP = $(CONFIG_PATH)
build/unit-paths: STAMP = $(SBINDIR) $(SYSCONFDIR) $(TUNABLES)
build/flags: STAMP = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS)
build/config-path: $(call stale,build/config-path,$(CONFIG_PATH))
build/unit-paths: $(call stale,build/unit-paths,$(SBINDIR) $(SYSCONFDIR) $(TUNABLES))
build/flags: $(call stale,build/flags,$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS))
$(STAMPS):
	@mkdir -p $(@D)
	@printf '%s\n' $(call quote,$(STAMP)) > $@

$(OBJS) $(UNIT_OBJS): build/config-path build/flags

systemd/%.service: systemd/%.service.in build/unit-paths
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@TUNABLES@|$(TUNABLES)|g' \
	    $< > $@.tmp
	mv -f $@.tmp $@

build/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

build/test/%.o: test/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

test/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(INIH_LIBS) $(CMOCKA_LIBS)

run: deps
	@$(MAKE) --no-print-directory echod units
	@echo "echod: serving echo on 127.0.0.1:7007; try: nc 127.0.0.1 7007 (Ctrl-C stops)"
	GLIBC_TUNABLES=$(TUNABLES) ./echod -c etc/echod.conf -l 127.0.0.1:7007

test: deps test-deps
	@$(MAKE) --no-print-directory WERROR=-Werror echod test/unit_tests \
	    fuzz-build bench-build
	@ECHOD_SANITIZE='$(SANITIZE)' bash test/run

# valgrind cannot run a sanitized binary: build without SANITIZE.
valgrind: deps
	$(call need_packages,valgrind)
	@$(MAKE) --no-print-directory echod
	@bash test/valgrind.sh

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
	$(call need_packages,$(BUILD_DEPS) $(if $(filter clang%,$(CC)),clang,gcc) $(SANITIZE_DEPS))

test-deps:
	$(call need_packages,$(TEST_DEPS))

# install depends on what it installs, not on "all": run as root after a
# build, it builds nothing (and so leaves no root-owned objects behind).
install: echod $(UNITS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/echod
	install -m 755 echod $(DESTDIR)$(SBINDIR)/echod
	install -m 644 man/echod.8 $(DESTDIR)$(MANDIR)/man8/echod.8
	install -m 644 man/echod.conf.5 $(DESTDIR)$(MANDIR)/man5/echod.conf.5
	install -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)
	@if [ -e $(DESTDIR)$(CONFIG_PATH) ] || [ -L $(DESTDIR)$(CONFIG_PATH) ]; then \
	    echo "echod: kept the existing $(DESTDIR)$(CONFIG_PATH);" \
	        "the shipped one is etc/echod.conf"; \
	else \
	    echo "install -m 644 etc/echod.conf $(DESTDIR)$(CONFIG_PATH)"; \
	    install -m 644 etc/echod.conf $(DESTDIR)$(CONFIG_PATH); \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/echod $(DESTDIR)$(MANDIR)/man8/echod.8 \
	    $(DESTDIR)$(MANDIR)/man5/echod.conf.5 \
	    $(DESTDIR)$(UNITDIR)/echod.service \
	    $(DESTDIR)$(UNITDIR)/echod@.service $(DESTDIR)$(UNITDIR)/echod.socket
	@echo "echod: kept $(DESTDIR)$(CONFIG_PATH) (remove it by hand if unwanted)"

clean:
	rm -rf build echod test/unit_tests systemd/echod.service \
	    systemd/echod@.service

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)

# Fuzzing (make fuzz), the soak test (make soak) and the benchmark (make
# bench) have makefiles of their own beside their sources.
-include test/fuzz/fuzz.mk
-include test/soak/soak.mk
-include test/bench/bench.mk
