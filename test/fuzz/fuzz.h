/* What the fuzz targets share. */
#ifndef ECHOD_FUZZ_H
#define ECHOD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant: when it does not hold, say which one and abort, which
 * libFuzzer reports as a crash (and saves the input).
 */
#define CHECK(cond, what) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n",	\
		    __FILE__, __LINE__, (what), #cond);			\
		abort();						\
	}								\
} while (0)

#endif
