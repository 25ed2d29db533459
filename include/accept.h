/*
 * Accepting clients, on the main thread: accept() in bursts, admission,
 * a thread for each client admitted; at max_connections, waiting (and
 * evicting the idlest connection for a client that waits); pausing when
 * descriptors run out or no thread can start.
 */
#ifndef ECHOD_ACCEPT_H
#define ECHOD_ACCEPT_H

#include <poll.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"

struct admit;
struct config;
struct conn;
struct conn_set;
struct listeners;

struct acceptor {
	const struct listeners *ls;	/* the server's, which reloads change */
	struct conn_set *conns;
	struct admit *admit;
	bool at_limit;			/* max_connections reached */
	unsigned long waited;		/* clients accepted in this episode */
	bool evicting;			/* one evicted; its end not seen yet */
	struct timespec evict_check;	/* at the limit: when to look again */
	struct timespec paused_until;	/* accept() back-off after EMFILE */
	struct conn *pending;		/* accepted, waiting for a thread */
	struct log_limit accept_errors;
	struct log_limit thread_errors;
	struct log_limit evictions;
};

void accept_init(struct acceptor *a, const struct listeners *ls,
    struct conn_set *conns, struct admit *admit);

/*
 * Before each poll(): starts the pending client's thread once a pause is
 * over, and takes the clients that waited at the limit once a slot is
 * free.  True when the listeners are to be polled; *timer (ms, -1 for
 * none) is lowered to when accepting needs the loop to turn again.  The
 * connections started take a reference to cfg, as accept_ready()'s do.
 */
bool accept_turn(struct acceptor *a, struct config *cfg, long long *timer);

/*
 * After poll(), with pfd[i] the listeners' in ls order: accepts from
 * those readable, or, at the limit, evicts for a client that waits.
 */
void accept_ready(struct acceptor *a, struct config *cfg,
    const struct pollfd *pfd);

/* Workers ended: a slot, a descriptor or a thread may be free again. */
void accept_workers_ended(struct acceptor *a);

/* Shutting down: closes the client still waiting for a thread, if any. */
void accept_stop(struct acceptor *a);

#endif
