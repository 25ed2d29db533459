/* One client connection and the detached thread that serves it. */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "session.h"

struct config;

/*
 * The set of live connections.  The main thread needs it only to shut
 * every socket down when the drain time is over; workers leave it before
 * they close their socket, so the main thread never touches a closed fd.
 */
struct conn_set {
	pthread_mutex_t lock;
	struct conn *head;
	int wake_fd;		/* eventfd: counts the workers that finished */
};

/*
 * What a connection gives back when it ends, or when it is never served:
 * fn(ctx, arg), called once, from whichever thread ends it.  Admission
 * counts each connection for its source this way (admit.c); conn.c knows
 * no more of it than that.
 */
struct conn_release {
	void (*fn)(void *ctx, void *arg);
	void *ctx;
	void *arg;
};

/*
 * What a worker does before its protocol, for a connection accepted
 * before its client is known (behind a proxy, relay.c): fn(ctx, c) may
 * set c->release and c->quiet, rename the peer (conn_rename()) and log it
 * as connected; false closes the connection unserved.
 */
struct conn_gate {
	bool (*fn)(void *ctx, struct conn *c);
	void *ctx;
};

struct conn {
	struct session sess;	/* what its protocol sees of it */
	struct conn_set *set;
	struct conn_release release;	/* given back in conn_end() */
	struct conn_gate gate;		/* none: fn is NULL */
	bool quiet;		/* "closed" at debug level (health checks) */
	struct timespec started;
	struct conn *prev, *next;
};

/* Returns 0, or -1 with the reason logged. */
int conn_set_init(struct conn_set *set);
void conn_set_destroy(struct conn_set *set);

/* Shuts every live connection down (both directions). */
void conn_set_shutdown_all(struct conn_set *set);

/*
 * Shuts down the connection that has been idle longest, if it has been
 * idle for at least min_ms, giving why as its end reason; true when one
 * was, with its peer in who and its idle time in *idle_ms.  Otherwise
 * *idle_ms is the idlest one's idle time (-1 when there is none).
 */
bool conn_set_evict_idlest(struct conn_set *set, long long min_ms,
    const char *why, char who[ADDR_STRLEN], long long *idle_ms);

/*
 * A connection for fd, counted in the set and logged as connected; it
 * takes ownership of fd, of release (run when it ends) and a reference
 * to cfg.  NULL when out of memory (fd is closed and release run then).
 */
struct conn *conn_new(struct conn_set *set, int fd, const struct peer *peer,
    const struct conn_release *release, struct config *cfg);

/*
 * conn_new() for a connection its worker admits first, through gate:
 * nothing to give back yet, and not logged as connected here.
 */
struct conn *conn_new_gated(struct conn_set *set, int fd,
    const struct peer *peer, const struct conn_gate *gate,
    struct config *cfg);

/*
 * From c's worker: its peer is peer from now on (formatted), for the
 * main thread too (eviction names it).
 */
void conn_rename(struct conn *c, const char *peer);

/*
 * Serves c on a new detached thread with its config's stack size.
 * Returns 0, or an errno value when no thread could be created: c is
 * then still the caller's, to start again later or to drop.
 */
int conn_start(struct conn *c);

/* Closes and frees a connection that no thread serves. */
void conn_drop(struct conn *c);

#endif
