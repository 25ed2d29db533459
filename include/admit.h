/*
 * Admission, right after accept() and before any thread exists: [access]
 * rules, connection_rate per source, max_connections_per_ip, and the
 * refusal of a client that may not be served; for UDP, [access] and
 * udp_rate for each datagram.  Every per-source decision and its state
 * are here.
 */
#ifndef ECHOD_ADMIT_H
#define ECHOD_ADMIT_H

#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>

#include "acl.h"
#include "log.h"
#include "srctab.h"

struct config;
struct conn_release;

enum admit_verdict {
	ADMIT_OK,		/* counted for its source now */
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
 * The same for each UDP socket's udp_rate.  A datagram's source address
 * costs nothing to forge, so forged sources fill a table at the rate
 * they are sent: kept smaller, it costs at most about 1.5 MiB.
 */
#define ADMIT_UDP_MAX_SOURCES 16384

/*
 * Token buckets per source (connection_rate; each UDP socket's udp_rate),
 * for one thread's use: a new source they have no room for (the table
 * is full, its chain is, or memory is out) shares one more bucket with
 * every other such source: still metered, together, at the same rate,
 * and never fails open.
 */
struct admit_rates {
	const char *key;		/* the setting, for messages */
	struct srctab table;
	struct src shared;		/* the bucket of sources without one */
	struct log_limit shared_log;	/* "no bucket of its own" lines */
	long long swept_ms;
};

/*
 * Two tables of sources.  The connection_rate buckets are the main
 * thread's alone.  The open connections per source are counted by the
 * main thread and given back by each worker as it ends, so they have a
 * lock.
 */
struct admit {
	struct admit_rates rates;	/* connection_rate */
	pthread_mutex_t open_lock;	/* for open, between main and workers */
	struct srctab open;		/* open connections per source */
	struct log_limit refusals;	/* "refused ..." lines */
};

/* admit_init_max(a, ADMIT_MAX_SOURCES). */
int admit_init(struct admit *a);

/*
 * Keeps buckets for at most max sources (tests use a small max).
 * Returns 0, or -1 with the reason logged.
 */
int admit_init_max(struct admit *a, size_t max);

/* Frees the tables; no connection may still hold a count. */
void admit_free(struct admit *a);

/*
 * Decides on a new client.  On ADMIT_OK it is counted for its source,
 * and *ticket gives the count back: the caller hands it to conn_new().
 */
enum admit_verdict admit_check(struct admit *a, const struct config *cfg,
    const struct sockaddr *peer, struct conn_release *ticket);

/*
 * Resets and closes fd, a client refused with verdict v, counts it, and
 * says so at most once a second.
 */
void admit_refuse(struct admit *a, const struct config *cfg, int fd,
    const struct sockaddr *peer, socklen_t peerlen, enum admit_verdict v);

/* Why a client was refused, for the log: "over connection_rate (5/s)". */
void admit_reason(enum admit_verdict v, const struct config *cfg, char *buf,
    size_t len);

/*
 * A table of token buckets of at most max sources for the setting named
 * key; 0, or -1 with the reason logged.
 */
int admit_rates_init(struct admit_rates *r, const char *key, size_t max);
void admit_rates_free(struct admit_rates *r);

/*
 * What a UDP socket's thread decides each datagram by: copies of a
 * configuration's [access] rules, ipv6_prefix and udp_rate, which the
 * thread owns, so that it holds no reference to the configuration.
 */
struct admit_rules {
	struct cidr *allow, *deny;
	size_t n_allow, n_deny;
	unsigned ipv6_prefix;
	unsigned rate;			/* udp_rate; 0 off */
};

/* cfg's rules, or NULL with the reason logged. */
struct admit_rules *admit_rules_new(const struct config *cfg);
void admit_rules_free(struct admit_rules *r);

/*
 * Decides on a datagram from peer, with a UDP socket's own table of
 * buckets: ADMIT_OK, ADMIT_DENIED or ADMIT_RATE(_SHARED).
 */
enum admit_verdict admit_datagram(struct admit_rates *rates,
    const struct admit_rules *rules, const struct sockaddr *peer);

#endif
