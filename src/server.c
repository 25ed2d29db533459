/*
 * The main thread's loop.  It poll()s the listening sockets, a signalfd
 * (all handled signals are blocked in every thread and read here, so no
 * code runs in signal context), an eventfd that finishing workers poke,
 * and during a reload the eventfd of the thread that prepares it (see
 * reload.c): nothing here waits for a resolver.  At max_connections it
 * simply stops accepting: new clients wait in the kernel's listen backlog
 * and are accepted when a slot frees.
 */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "stats.h"
#include "units.h"

#define ACCEPT_BURST 64		/* per listener per wake-up, for fairness */
#define ACCEPT_PAUSE_MS 100	/* back-off when out of descriptors */
#define KILL_GRACE_MS 2000	/* for workers to notice their shut socket */
#define RELOAD_STOP_MS 200	/* at exit, for a reload about to end */
#define NFIXED 3		/* poll slots before the listeners' */

enum accept_result {
	DRAINED,		/* the backlog is empty */
	FULL,			/* max_connections reached */
	MORE,			/* burst done, or paused by an error */
};

static const int handled_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1 };

int
server_init(struct server *s, const char *config_path,
    const struct config_overrides *ov, struct config *cfg)
{
	sigset_t set;
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	s->config_path = config_path;
	s->ov = ov;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]);
	    i++)
		sigaddset(&set, handled_signals[i]);
	if ((err = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
		log_error("pthread_sigmask: %s", strerror(err));
		return -1;
	}
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	if (conn_set_init(&s->conns) != 0)
		goto fail_sig;
	if (admit_init(&s->admit) != 0)
		goto fail_conns;
	if (notify_init(&s->notify) != 0)
		goto fail_admit;
	s->cfg = cfg;
	return 0;
fail_admit:
	admit_free(&s->admit);
fail_conns:
	conn_set_destroy(&s->conns);
fail_sig:
	close(s->sig_fd);
	return -1;
}

int
server_listen(struct server *s)
{
	int n = listeners_inherit(&s->ls);

	if (n < 0)
		return -1;
	if (n == 0)
		return listeners_update(&s->ls, s->cfg);
	s->inherited = true;
	log_info("serving %d sockets from the service manager instead of "
	    "the configured listen addresses", n);
	return 0;
}

void
server_free(struct server *s)
{
	reload_stop(&s->reload, 0);
	listeners_close(&s->ls);
	notify_close(&s->notify);
	close(s->sig_fd);
	conn_set_destroy(&s->conns);
	admit_free(&s->admit);
	config_unref(s->cfg);
}

static void
log_stats(void)
{
	log_info("stats: %lu active connections, %lu accepted, %llu bytes "
	    "echoed, %lu waited at the limit, %lu refused",
	    atomic_load(&stats.active), atomic_load(&stats.accepted),
	    atomic_load(&stats.bytes_echoed), atomic_load(&stats.waited),
	    atomic_load(&stats.refused));
}

/* The service manager's timers; ms until they are due again, or -1. */
static long long
tick(struct server *s)
{
	return notify_tick(&s->notify, s->status, atomic_load(&stats.active),
	    atomic_load(&stats.accepted));
}

void
server_ready(struct server *s)
{
	notify_ready(&s->notify, s->status);
}

/* Reads one pending signal; 0 if none. */
static int
next_signal(struct server *s)
{
	struct signalfd_siginfo si;
	ssize_t n;

	n = read(s->sig_fd, &si, sizeof(si));
	if (n != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

static void
clear_wakeups(struct server *s)
{
	uint64_t count;

	if (read(s->conns.wake_fd, &count, sizeof(count)) < 0) {
		if (errno != EAGAIN)
			log_error("wake-up eventfd: %s", strerror(errno));
		return;
	}
	/* Only here does the active count drop: see conn_end(). */
	atomic_fetch_sub(&stats.active, (unsigned long)count);
	s->evicting = false;
}

static bool
below_limit(const struct server *s)
{
	return atomic_load(&stats.active) < s->cfg->max_connections;
}

static void
enter_limit(struct server *s)
{
	if (s->at_limit)
		return;
	s->at_limit = true;
	s->waited = 0;
	log_warning("max_connections (%u) reached: new clients wait in the "
	    "listen backlog", s->cfg->max_connections);
}

static void
leave_limit(struct server *s)
{
	s->at_limit = false;
	log_info("below max_connections again; %lu clients waited",
	    s->waited);
}

/*
 * At the limit, with evict_idle set and no eviction under way, the main
 * thread polls the listeners only to see whether a client waits, and
 * only once the idlest connection could have been idle long enough.
 */
static bool
evict_due(const struct server *s)
{
	return s->at_limit && s->cfg->evict_idle_ms > 0 && !s->evicting &&
	    clock_ms_until(&s->evict_check) <= 0;
}

/* A client waits at the limit: the idlest connection gives way, if any. */
static void
evict_for_waiter(struct server *s)
{
	long long min = (long long)s->cfg->evict_idle_ms, idle;
	char who[ADDR_STRLEN];
	unsigned long held;

	if (conn_set_evict_idlest(&s->conns, min, "evicted: idle while a "
	    "client waited", who, &idle)) {
		s->evicting = true;
		if (log_limit_ok(&s->evictions, 1000, &held))
			log_warning("evicted %s, idle for %lld ms, for a "
			    "client waiting at max_connections (%lu more "
			    "evicted since the last such line)", who, idle,
			    held);
		return;
	}
	/* None idle long enough yet: look again when the idlest will be. */
	s->evict_check = clock_after_ms((unsigned long long)(idle < 0 ||
	    idle >= min ? min : min - idle));
}

/* accept() failed: say why, and pause when descriptors or memory ran out. */
static void
accept_failed(struct server *s, const struct listener *l, int err)
{
	unsigned long held;

	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Until a connection ends or the pause ends: no busy loop. */
		s->paused_until = clock_after_ms(ACCEPT_PAUSE_MS);
		if (log_limit_ok(&s->accept_errors, 1000, &held))
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
start_pending(struct server *s)
{
	unsigned long held;
	int err;

	if (s->pending == NULL)
		return true;
	if ((err = conn_start(s->pending)) == 0) {
		s->pending = NULL;
		return true;
	}
	s->paused_until = clock_after_ms(ACCEPT_PAUSE_MS);
	if (log_limit_ok(&s->thread_errors, 1000, &held))
		log_warning("cannot start a thread for %s: %s; new clients "
		    "wait until one can start (%lu more such errors held "
		    "back)", s->pending->peer, strerror(err), held);
	return false;
}

/* Admits and serves one accepted client, or refuses it; false: paused. */
static bool
serve(struct server *s, int fd, const struct sockaddr *peer,
    socklen_t peerlen)
{
	struct conn_release ticket;
	enum admit_verdict v;

	v = admit_check(&s->admit, s->cfg, peer, &ticket);
	if (v != ADMIT_OK) {
		admit_refuse(&s->admit, s->cfg, fd, peer, peerlen, v);
		return true;
	}
	s->pending = conn_new(&s->conns, fd, peer, peerlen, &ticket, s->cfg);
	if (s->pending == NULL) {
		log_error("out of memory for a connection; closed it");
		return true;
	}
	return start_pending(s);
}

static enum accept_result
accept_some(struct server *s, const struct listener *l)
{
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd, i;

	for (i = 0; i < ACCEPT_BURST; i++) {
		if (!below_limit(s)) {
			enter_limit(s);
			return FULL;
		}
		peerlen = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &peerlen,
		    SOCK_CLOEXEC);
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return DRAINED;
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			accept_failed(s, l, errno);
			return MORE;
		}
		if (s->at_limit) {
			s->waited++;
			atomic_fetch_add(&stats.waited, 1);
		}
		if (!serve(s, fd, (struct sockaddr *)&peer, peerlen))
			return MORE;
	}
	return MORE;
}

/* After a slot frees during an episode, take the waiting clients first. */
static void
serve_waiting(struct server *s)
{
	bool all_drained = true;
	size_t i;

	for (i = 0; i < s->ls.n; i++)
		if (accept_some(s, &s->ls.v[i]) != DRAINED)
			all_drained = false;
	if (all_drained)
		leave_limit(s);
}

/* Returns true when the signal means "stop". */
static bool
on_signal(struct server *s, int sig)
{
	switch (sig) {
	case SIGHUP:
		reload_begin(s);
		return false;
	case SIGUSR1:
		log_stats();
		return false;
	case SIGINT:
	case SIGTERM:
		log_info("SIG%s received: shutting down", sigabbrev_np(sig));
		if (reload_busy(&s->reload))
			log_info("the reload under way will not be applied");
		notify_send(&s->notify, "STOPPING=1");
		return true;
	}
	return false;
}

static void
handle_listeners(struct server *s, const struct pollfd *pfd)
{
	size_t i;

	for (i = 0; i < s->ls.n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (s->at_limit) {
			/* Polled only to see whether a client waits; if a
			 * slot just freed, the next turn accepts it. */
			if (!below_limit(s))
				evict_for_waiter(s);
			return;
		}
		accept_some(s, &s->ls.v[i]);
	}
}

static int
accept_loop(struct server *s)
{
	struct pollfd *pfd = NULL, *grown;
	size_t i, cap = 0;
	long long wait, timer, w;
	struct config *cfg;
	bool listening;
	char *errors;
	int sig;

	for (;;) {
		timer = tick(s);
		if (s->pending != NULL &&
		    clock_ms_until(&s->paused_until) <= 0)
			start_pending(s);
		if (s->pending == NULL && s->at_limit && below_limit(s))
			serve_waiting(s);
		if (cap < s->ls.n + NFIXED) {
			cap = s->ls.n + NFIXED;
			if ((grown = realloc(pfd, cap * sizeof(*pfd))) == NULL) {
				log_error("out of memory in the accept loop");
				free(pfd);
				return -1;
			}
			pfd = grown;
		}
		wait = clock_ms_until(&s->paused_until);
		listening = (!s->at_limit && wait <= 0 &&
		    s->pending == NULL) || evict_due(s);
		if (s->at_limit && s->cfg->evict_idle_ms > 0 && !s->evicting) {
			w = clock_ms_until(&s->evict_check);
			if (w > 0 && (timer < 0 || w < timer))
				timer = w;
		}
		pfd[0] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->conns.wake_fd,
		    .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = reload_fd(&s->reload),
		    .events = POLLIN };
		for (i = 0; i < s->ls.n; i++)
			pfd[i + NFIXED] = (struct pollfd){ .events = POLLIN,
			    .fd = listening ? s->ls.v[i].fd : -1 };
		if (wait <= 0 || (timer >= 0 && timer < wait))
			wait = timer;
		if (poll(pfd, s->ls.n + NFIXED, clock_poll_timeout(wait)) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			free(pfd);
			return -1;
		}
		if (pfd[1].revents & POLLIN) {
			clear_wakeups(s);
			/* A descriptor or thread just came free: try again. */
			s->paused_until = (struct timespec){ 0, 0 };
		}
		/* Listeners first: a reload may replace the set. */
		handle_listeners(s, pfd + NFIXED);
		if (pfd[2].revents & POLLIN) {
			cfg = reload_collect(&s->reload, &errors);
			reload_end(s, cfg, errors);
		}
		while ((sig = next_signal(s)) != 0)
			if (on_signal(s, sig)) {
				free(pfd);
				return 0;
			}
	}
}

/* Waits until no worker is left or the deadline; true on a 2nd signal. */
static bool
wait_workers(struct server *s, const struct timespec *deadline)
{
	struct pollfd pfd[2];
	long long wait, timer;
	int sig;

	while (atomic_load(&stats.active) > 0 &&
	    (wait = clock_ms_until(deadline)) > 0) {
		timer = tick(s);
		if (timer >= 0 && timer < wait)
			wait = timer;
		pfd[0] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->conns.wake_fd,
		    .events = POLLIN };
		if (poll(pfd, 2, clock_poll_timeout(wait)) < 0 &&
		    errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return false;
		}
		if (pfd[1].revents & POLLIN)
			clear_wakeups(s);
		while ((sig = next_signal(s)) != 0) {
			if (sig == SIGTERM || sig == SIGINT)
				return true;
			if (sig == SIGUSR1)
				log_stats();
			else
				log_info("SIG%s ignored while shutting down",
				    sigabbrev_np(sig));
		}
	}
	return false;
}

/* Stop accepting at once; give clients shutdown_timeout to finish. */
static int
drain(struct server *s)
{
	struct timespec deadline;
	unsigned long left;
	char dur[32];

	listeners_close(&s->ls);
	if (s->pending != NULL) {
		s->pending->end_reason = "shutdown";
		conn_drop(s->pending);
		s->pending = NULL;
	}
	left = atomic_load(&stats.active);
	format_duration(s->cfg->shutdown_timeout_ms, dur, sizeof(dur));
	if (left > 0)
		log_info("shutting down: %lu connections open, waiting up to "
		    "%s", left, dur);
	deadline = clock_after_ms(s->cfg->shutdown_timeout_ms);
	if (wait_workers(s, &deadline))
		goto now;
	if ((left = atomic_load(&stats.active)) > 0) {
		log_info("shutdown_timeout reached: closing %lu connections",
		    left);
		conn_set_shutdown_all(&s->conns);
		deadline = clock_after_ms(KILL_GRACE_MS);
		if (wait_workers(s, &deadline))
			goto now;
	}
	reload_stop(&s->reload, RELOAD_STOP_MS);
	log_info("exiting");
	return 0;
now:
	reload_stop(&s->reload, 0);
	log_info("second signal: exiting now with %lu connections open",
	    atomic_load(&stats.active));
	return 0;
}

int
server_run(struct server *s)
{
	if (accept_loop(s) != 0)
		return 71;	/* EX_OSERR */
	return drain(s);
}
