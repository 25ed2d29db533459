/*
 * Admission, right after accept() and before any thread exists: [access]
 * rules, connection_rate per source, max_connections_per_ip.
 */
#ifndef ECHOD_ADMIT_H
#define ECHOD_ADMIT_H

#include <stddef.h>
#include <sys/socket.h>

#include "srctab.h"

struct config;
struct conn_set;

enum admit_verdict {
	ADMIT_OK,		/* holds a per-source reservation now */
	ADMIT_DENIED,		/* by [access] */
	ADMIT_RATE,		/* over connection_rate */
	ADMIT_PER_IP,		/* over max_connections_per_ip */
};

/* The main thread's token buckets, one per recent source. */
struct admit {
	struct srctab rates;
	long long swept_ms;
};

int admit_init(struct admit *a);
void admit_free(struct admit *a);

/* Decides on a new client; on ADMIT_OK, src is its source key. */
enum admit_verdict admit_check(struct admit *a, struct conn_set *set,
    const struct config *cfg, const struct sockaddr *peer,
    unsigned char src[16]);

/* Why a client was refused, for the log: "over connection_rate (5/s)". */
void admit_reason(enum admit_verdict v, const struct config *cfg, char *buf,
    size_t len);

#endif
