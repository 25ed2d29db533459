# libFuzzer targets (included by the top-level Makefile).
#
#   make fuzz             build the targets and fuzz each for FUZZ_SECONDS
#                         (default 30); fails if any of them crashes
#   make fuzz-regress     run every file of the seed corpora once (fast)
#   make fuzz-build       only build build/fuzz/fuzz_*
#
# The daemon's sources (all but main.c) are compiled again with clang and
# the fuzzer, address and undefined behaviour sanitizers into build/fuzz/,
# so the regular build is not touched.  Seeds live in test/fuzz/corpus/
# TARGET/; what a run finds goes to build/fuzz/corpus/TARGET/ and crash
# inputs to build/fuzz/artifacts/TARGET/, never into the repository.
# To replay one input:  build/fuzz/fuzz_talk FILE

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_DEPS     = clang libclang-rt-14-dev pkg-config libinih-dev

FUZZ_TARGETS = fuzz_config fuzz_addr fuzz_talk fuzz_proxy
FUZZ_BINS    = $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_LIB_OBJS = $(patsubst src/%.c,build/fuzz/obj/%.o,\
	$(filter-out src/main.c,$(SRCS)))
FUZZ_MAIN_OBJS = $(FUZZ_TARGETS:%=build/fuzz/obj/test/%.o)

# Sanitizer findings must stop the run, or libFuzzer would not see them.
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# The usual macro for fuzz builds: addr_resolve() then looks up numeric
# addresses only, so listen values never wait on DNS.
FUZZ_CFLAGS  = -std=c11 $(WARNINGS) -Werror -pthread -g -O1 -MMD -MP \
	$(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

.PHONY: fuzz fuzz-regress fuzz-build fuzz-deps

fuzz-deps:
	$(call need_packages,$(FUZZ_DEPS))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@bash test/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: $(FUZZ_BINS)
	@bash test/fuzz/run.sh regress 0 $(FUZZ_TARGETS)

$(FUZZ_BINS): build/fuzz/%: build/fuzz/obj/test/%.o $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) -pthread $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_LIB_OBJS) $(INIH_LIBS)

$(FUZZ_LIB_OBJS): build/fuzz/obj/%.o: src/%.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_MAIN_OBJS): build/fuzz/obj/test/%.o: test/fuzz/%.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB_OBJS) $(FUZZ_MAIN_OBJS): build/config-path

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_MAIN_OBJS:.o=.d)
