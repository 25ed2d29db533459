/*
 * Admission, right after accept() and before any thread exists: [access]
 * rules, connection_rate per source, max_connections_per_ip.
 */
#ifndef ECHOD_ADMIT_H
#define ECHOD_ADMIT_H

#include <stddef.h>
#include <sys/socket.h>

#include "log.h"
#include "srctab.h"

struct config;
struct conn_set;

enum admit_verdict {
	ADMIT_OK,		/* holds a per-source reservation now */
	ADMIT_DENIED,		/* by [access] */
	ADMIT_RATE,		/* over connection_rate */
	ADMIT_RATE_SHARED,	/* over it in the shared bucket */
	ADMIT_PER_IP,		/* over max_connections_per_ip */
};

/*
 * Sources whose connection_rate buckets are kept at most.  A bucket is
 * forgotten once it is full again, so this many sources must each have
 * connected within the last second or two to fill the table.
 */
#define ADMIT_MAX_SOURCES 100000

/*
 * The main thread's token buckets, one per recent source.  A new source
 * the table has no room for (it is full, its chain is, or memory is out)
 * shares one more bucket with every other such source: still metered,
 * together, at connection_rate, and never fails open.
 */
struct admit {
	struct srctab rates;
	struct src shared;		/* the bucket of sources without one */
	struct log_limit shared_log;	/* "no bucket of its own" lines */
	long long swept_ms;
};

/* admit_init_max(a, ADMIT_MAX_SOURCES). */
int admit_init(struct admit *a);

/* Keeps buckets for at most max sources (tests use a small max). */
int admit_init_max(struct admit *a, size_t max);
void admit_free(struct admit *a);

/* Decides on a new client; on ADMIT_OK, src is its source key. */
enum admit_verdict admit_check(struct admit *a, struct conn_set *set,
    const struct config *cfg, const struct sockaddr *peer,
    unsigned char src[16]);

/* Why a client was refused, for the log: "over connection_rate (5/s)". */
void admit_reason(enum admit_verdict v, const struct config *cfg, char *buf,
    size_t len);

#endif
