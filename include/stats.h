/*
 * Process-wide counters, shown on SIGUSR1, all atomics.  The global
 * mutable state of echod is these and, each beside its use:
 *   log.c     the log level and whether stderr is a terminal (atomics);
 *   talk.c    the log budget all talk connections share (its own mutex);
 *   srctab.c  how many tables took a clock-made hash key (an atomic).
 * Everything else belongs to a struct that one owner passes around.
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
