/*
 * Admission, right after accept() and before any thread exists: [access]
 * rules, connection_rate per source, max_connections_per_ip, and the
 * refusal of a client that may not be served; for UDP, [access] and
 * udp_rate for each datagram.  Every per-source decision and its state
 * are here.  A source is an IP address (IPv6: a prefix), or for a Unix
 * socket the client's uid.  Behind a proxy (proxy_protocol), the proxy is
 * admitted at accept and its client once the worker has read the PROXY
 * header (relay.c), by the same rules.
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
struct peer;
struct conn_release;

enum admit_verdict {
	ADMIT_OK,		/* counted for its source now */
	ADMIT_DENIED,		/* by [access] */
	ADMIT_RATE,		/* over connection_rate */
	ADMIT_RATE_SHARED,	/* over it in the shared bucket */
	ADMIT_PER_IP,		/* over max_connections_per_ip */
	ADMIT_PROXY,		/* a trusted proxy: its header names whom
				   to admit; counted for nobody yet */
	ADMIT_NOT_PROXY,	/* proxy_protocol is on: not in proxy_from */
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
 * used by one thread at a time (struct admit's lock guards those of
 * connection_rate): a new source they have no room for (the table is
 * full, its chain is, or memory is out) shares one more bucket with every
 * other such source: still metered, together, at the same rate, and never
 * fails open.
 */
struct admit_rates {
	const char *key;		/* the setting, for messages */
	struct srctab table;
	struct src shared;		/* the bucket of sources without one */
	struct log_limit shared_log;	/* "no bucket of its own" lines */
	long long swept_ms;
};

/*
 * Two tables of sources.  The main thread uses both at accept; workers
 * use them to admit a proxy's clients, and give an open connection back
 * as they end: each has a lock.
 */
struct admit {
	pthread_mutex_t lock;		/* rates and the log limits */
	struct admit_rates rates;	/* connection_rate */
	pthread_mutex_t open_lock;	/* for open, between main and workers */
	struct srctab open;		/* open connections per source */
	struct log_limit refusals;	/* "refused ..." lines */
	struct log_limit headers;	/* "closed for its PROXY header" */
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
 * With proxy_protocol on, only ADMIT_PROXY or ADMIT_NOT_PROXY: the
 * clients are those the proxies' headers name (admit_relayed()).  A Unix
 * socket's peers are all trusted: its file mode says who may connect.
 */
enum admit_verdict admit_check(struct admit *a, const struct config *cfg,
    const struct peer *peer, struct conn_release *ticket);

/*
 * admit_check() for the client a PROXY header names (or for the proxy
 * itself, for a header without addresses), as if it had connected
 * directly; from a worker thread.
 */
enum admit_verdict admit_relayed(struct admit *a, const struct config *cfg,
    const struct peer *client, struct conn_release *ticket);

/*
 * Resets and closes fd, a client refused with verdict v, counts it, and
 * says so at most once a second.
 */
void admit_refuse(struct admit *a, const struct config *cfg, int fd,
    const struct peer *peer, enum admit_verdict v);

/*
 * admit_refuse() for a client that came through proxy via (both
 * formatted): resets the connection when fd is closed, but leaves fd
 * open, for its connection to close.  From a worker thread.
 */
void admit_refuse_relayed(struct admit *a, const struct config *cfg,
    int fd, const char *client, const char *via, enum admit_verdict v);

/*
 * The same for a connection from proxy via whose PROXY header was bad or
 * missing, for reason why; its line is limited on its own.
 */
void admit_refuse_header(struct admit *a, int fd, const char *via,
    const char *why);

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
