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
	/* UDP (udp.c): every datagram received is echoed or dropped once. */
	struct {
		atomic_ulong sockets;		/* served now */
		atomic_ullong received;		/* datagrams read */
		atomic_ullong echoed;		/* datagrams sent back */
		atomic_ullong bytes;		/* their bytes */
		atomic_ullong truncated;	/* longer than the buffer */
		atomic_ullong port;		/* from a service port, or 0 */
		atomic_ullong broadcast;	/* broadcast, multicast */
		atomic_ullong denied;		/* by [access] */
		atomic_ullong rate;		/* over udp_rate */
		atomic_ullong send_errors;	/* replies not sent */
	} udp;
};

extern struct stats stats;

#endif
