# make bench: echod's benchmark against yardsticks (included by the
# top-level Makefile); see test/bench/bench.sh.
#
#   make bench            the full run: every scenario 3 times (under 10
#                         minutes on two cores), a table of medians
#   make bench QUICK=1    once each, short runs, a subset: about a minute
#   make bench-build      only build build/bench/ (make test does this)
#
# The load generator and the two C yardsticks are built with the
# project's warnings at -O2, never with SANITIZE: they are the measuring
# tools, not what is measured.  ECHOD, ECHOD_B, SCENARIOS, SERVERS,
# REPEAT and HOLD_MAX are read from the environment or the command line.

BENCH_BINS = build/bench/loadgen build/bench/naive build/bench/epoll_echo

.PHONY: bench bench-build

bench-build: $(BENCH_BINS)

$(BENCH_BINS): build/bench/%: test/bench/%.c test/bench/yardstick.h \
    build/flags
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) $(WERROR) -pthread $(CFLAGS) -O2 \
	    -o $@ $< $(LDFLAGS)

bench: deps
	@$(MAKE) --no-print-directory echod bench-build
	@QUICK='$(QUICK)' ECHOD_TUNABLES='$(TUNABLES)' bash test/bench/bench.sh
