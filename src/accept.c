/*
 * The accept loop's half of the main thread.  A readable listener gets a
 * burst of accept()s; each client is admitted or refused (admit.c), and
 * one admitted gets its own thread at once (conn.c).  At max_connections
 * it simply stops accepting: new clients wait in the kernel's listen
 * backlog, and the listeners are polled only to see whether one waits,
 * for which the idlest connection may give way.  When descriptors run
 * out, or no thread can start, accepting pauses rather than spins.
 */
#include "accept.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "listener.h"
#include "relay.h"
#include "stats.h"

#define ACCEPT_BURST 64		/* per listener per wake-up, for fairness */
#define ACCEPT_PAUSE_MS 100	/* back-off when out of descriptors */

enum accept_result {
	DRAINED,		/* the backlog is empty */
	FULL,			/* max_connections reached */
	MORE,			/* burst done, or paused by an error */
};

void
accept_init(struct acceptor *a, const struct listeners *ls,
    struct conn_set *conns, struct admit *admit)
{
	memset(a, 0, sizeof(*a));
	a->ls = ls;
	a->conns = conns;
	a->admit = admit;
}

static bool
below_limit(const struct config *cfg)
{
	return atomic_load(&stats.active) < cfg->max_connections;
}

static void
enter_limit(struct acceptor *a, const struct config *cfg)
{
	if (a->at_limit)
		return;
	a->at_limit = true;
	a->waited = 0;
	log_warning("max_connections (%u) reached: new clients wait in the "
	    "listen backlog", cfg->max_connections);
}

static void
leave_limit(struct acceptor *a)
{
	a->at_limit = false;
	log_info("below max_connections again; %lu clients waited",
	    a->waited);
}

/*
 * At the limit, with evict_idle set and no eviction under way, the main
 * thread polls the listeners only to see whether a client waits, and
 * only once the idlest connection could have been idle long enough.
 */
static bool
evict_due(const struct acceptor *a, const struct config *cfg)
{
	return a->at_limit && cfg->evict_idle_ms > 0 && !a->evicting &&
	    clock_ms_until(&a->evict_check) <= 0;
}

/* A client waits at the limit: the idlest connection gives way, if any. */
static void
evict_for_waiter(struct acceptor *a, const struct config *cfg)
{
	long long min = (long long)cfg->evict_idle_ms, idle;
	char who[ADDR_STRLEN];
	unsigned long held;

	if (conn_set_evict_idlest(a->conns, min, "evicted: idle while a "
	    "client waited", who, &idle)) {
		a->evicting = true;
		if (log_limit_ok(&a->evictions, 1000, &held))
			log_warning("evicted %s, idle for %lld ms, for a "
			    "client waiting at max_connections (%lu more "
			    "evicted since the last such line)", who, idle,
			    held);
		return;
	}
	/* None idle long enough yet: look again when the idlest will be. */
	a->evict_check = clock_after_ms((unsigned long long)(idle < 0 ||
	    idle >= min ? min : min - idle));
}

/* accept() failed: say why, and pause when descriptors or memory ran out. */
static void
accept_failed(struct acceptor *a, const struct listener *l, int err)
{
	unsigned long held;

	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Until a connection ends or the pause ends: no busy loop. */
		a->paused_until = clock_after_ms(ACCEPT_PAUSE_MS);
		if (log_limit_ok(&a->accept_errors, 1000, &held))
			log_error("accept on %s: %s; pausing (%lu more such "
			    "errors held back)", l->addr, strerror(err), held);
		break;
	default:
		/* ECONNABORTED, EPROTO, EPERM...: that client's problem. */
		log_debug("accept on %s: %s", l->addr, strerror(err));
		break;
	}
}

/*
 * Starts the pending connection's thread.  When none can be created (the
 * task limit), the client keeps its place, accepting pauses as for
 * EMFILE, and the next worker to finish, or the pause's end, retries it:
 * clients wait in the backlog instead of being closed unserved.
 */
static bool
start_pending(struct acceptor *a)
{
	unsigned long held;
	int err;

	if (a->pending == NULL)
		return true;
	if ((err = conn_start(a->pending)) == 0) {
		a->pending = NULL;
		return true;
	}
	a->paused_until = clock_after_ms(ACCEPT_PAUSE_MS);
	if (log_limit_ok(&a->thread_errors, 1000, &held))
		log_warning("cannot start a thread for %s: %s; new clients "
		    "wait until one can start (%lu more such errors held "
		    "back)", a->pending->sess.peer, strerror(err), held);
	return false;
}

/* Admits and serves one accepted client, or refuses it; false: paused. */
static bool
serve(struct acceptor *a, struct config *cfg, int fd, const struct peer *peer)
{
	const struct conn_gate relay = { relay_gate, a->admit };
	struct conn_release ticket;
	enum admit_verdict v;

	v = admit_check(a->admit, cfg, peer, &ticket);
	if (v == ADMIT_PROXY)
		/* Its worker reads the header, then admits the client. */
		a->pending = conn_new_gated(a->conns, fd, peer, &relay, cfg);
	else if (v != ADMIT_OK) {
		admit_refuse(a->admit, cfg, fd, peer, v);
		return true;
	} else
		a->pending = conn_new(a->conns, fd, peer, &ticket, cfg);
	if (a->pending == NULL) {
		log_error("out of memory for a connection; closed it");
		return true;
	}
	return start_pending(a);
}

static enum accept_result
accept_some(struct acceptor *a, struct config *cfg, const struct listener *l)
{
	struct peer peer;
	int fd, i;

	for (i = 0; i < ACCEPT_BURST; i++) {
		if (!below_limit(cfg)) {
			enter_limit(a, cfg);
			return FULL;
		}
		peer.len = sizeof(peer.sa);
		fd = accept4(l->fd, (struct sockaddr *)&peer.sa, &peer.len,
		    SOCK_CLOEXEC);
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return DRAINED;
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			accept_failed(a, l, errno);
			return MORE;
		}
		if (peer_identify(fd, &peer) != 0) {
			/* Not countable, so not served (see admit.c). */
			log_debug("accept on %s: SO_PEERCRED: %s; closed it",
			    l->addr, strerror(errno));
			close(fd);
			continue;
		}
		if (a->at_limit) {
			a->waited++;
			atomic_fetch_add(&stats.waited, 1);
		}
		if (!serve(a, cfg, fd, &peer))
			return MORE;
	}
	return MORE;
}

/* After a slot frees during an episode, take the waiting clients first. */
static void
serve_waiting(struct acceptor *a, struct config *cfg)
{
	bool all_drained = true;
	size_t i;

	for (i = 0; i < a->ls->n; i++)
		if (listener_accepts(&a->ls->v[i]) &&
		    accept_some(a, cfg, &a->ls->v[i]) != DRAINED)
			all_drained = false;
	if (all_drained)
		leave_limit(a);
}

/* Lowers *timer (-1: none) to ms, when ms is still to come. */
static void
sooner(long long *timer, long long ms)
{
	if (ms > 0 && (*timer < 0 || ms < *timer))
		*timer = ms;
}

bool
accept_turn(struct acceptor *a, struct config *cfg, long long *timer)
{
	long long paused;

	if (a->pending != NULL && clock_ms_until(&a->paused_until) <= 0)
		start_pending(a);
	if (a->pending == NULL && a->at_limit && below_limit(cfg))
		serve_waiting(a, cfg);
	paused = clock_ms_until(&a->paused_until);
	if (a->at_limit && cfg->evict_idle_ms > 0 && !a->evicting)
		sooner(timer, clock_ms_until(&a->evict_check));
	sooner(timer, paused);
	return (!a->at_limit && paused <= 0 && a->pending == NULL) ||
	    evict_due(a, cfg);
}

void
accept_ready(struct acceptor *a, struct config *cfg, const struct pollfd *pfd)
{
	size_t i;

	for (i = 0; i < a->ls->n; i++) {
		/* Only sockets that accept are polled (server.c). */
		if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (a->at_limit) {
			/* Polled only to see whether a client waits; if a
			 * slot just freed, the next turn accepts it. */
			if (!below_limit(cfg))
				evict_for_waiter(a, cfg);
			return;
		}
		accept_some(a, cfg, &a->ls->v[i]);
	}
}

void
accept_workers_ended(struct acceptor *a)
{
	a->evicting = false;
	/* A descriptor or thread just came free: try again. */
	a->paused_until = (struct timespec){ 0, 0 };
}

void
accept_stop(struct acceptor *a)
{
	if (a->pending == NULL)
		return;
	a->pending->sess.end_reason = "shutdown";
	conn_drop(a->pending);
	a->pending = NULL;
}
