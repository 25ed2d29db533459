/*
 * Process-wide counters, shown on SIGUSR1.  They are the only global
 * mutable state shared between threads, and all of them are atomics.
 */
#ifndef ECHOD_STATS_H
#define ECHOD_STATS_H

#include <stdatomic.h>

struct stats {
	atomic_ulong active;		/* workers not yet counted as done */
	atomic_ulong accepted;		/* connections accepted since start */
	atomic_ullong bytes_echoed;	/* bytes sent back to clients */
	atomic_ulong waited;		/* accepted after waiting at the limit */
	atomic_ulong refused;		/* closed at once: access, per-IP, rate */
	atomic_ulong pipes;		/* open for splicing (echo.c) */
};

extern struct stats stats;

#endif
