/*
 * The main thread's story: it sets up, turns one poll() loop until
 * SIGTERM or SIGINT, and drains.  The loop watches the listening
 * sockets, a signalfd (all handled signals are blocked in every thread
 * and read here, so no code runs in signal context), an eventfd that
 * finishing workers poke, and during a reload the eventfd of the thread
 * that prepares it, and hands each event to its part: accepting
 * (accept.c), reloading (reload.c: nothing here waits for a resolver),
 * the service manager's timers (notify.c).
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

#define KILL_GRACE_MS 2000	/* for workers to notice their shut socket */
#define RELOAD_STOP_MS 200	/* at exit, for a reload about to end */
#define NFIXED 3		/* poll slots before the listeners' */

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
	accept_init(&s->acc, &s->ls, &s->conns, &s->admit);
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
	int n = listeners_inherit(&s->ls, s->cfg);

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

/* Whether there is anything to say of UDP: a socket, or datagrams. */
static bool
udp_counted(void)
{
	return atomic_load(&stats.udp.sockets) > 0 ||
	    atomic_load(&stats.udp.received) > 0;
}

static void
log_stats(void)
{
	char udp[512] = "";

	if (udp_counted())
		snprintf(udp, sizeof(udp), "; UDP: %llu datagrams received, "
		    "%llu echoed (%llu bytes), dropped: %llu truncated, %llu "
		    "from answering ports, %llu broadcast or multicast, %llu "
		    "denied by [access], %llu over udp_rate, %llu send errors",
		    atomic_load(&stats.udp.received),
		    atomic_load(&stats.udp.echoed),
		    atomic_load(&stats.udp.bytes),
		    atomic_load(&stats.udp.truncated),
		    atomic_load(&stats.udp.port),
		    atomic_load(&stats.udp.broadcast),
		    atomic_load(&stats.udp.denied),
		    atomic_load(&stats.udp.rate),
		    atomic_load(&stats.udp.send_errors));
	log_info("stats: %lu active connections, %lu accepted, %llu bytes "
	    "echoed, %lu waited at the limit, %lu refused%s",
	    atomic_load(&stats.active), atomic_load(&stats.accepted),
	    atomic_load(&stats.bytes_echoed), atomic_load(&stats.waited),
	    atomic_load(&stats.refused), udp);
}

/* The service manager's timers; ms until they are due again, or -1. */
static long long
tick(struct server *s)
{
	return notify_tick(&s->notify, s->status, atomic_load(&stats.active),
	    atomic_load(&stats.accepted), udp_counted() ?
	    (long long)atomic_load(&stats.udp.echoed) : -1);
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

/* Counts the workers that finished since the last call; 0 if none. */
static unsigned long
clear_wakeups(struct server *s)
{
	uint64_t count;

	if (read(s->conns.wake_fd, &count, sizeof(count)) < 0) {
		if (errno != EAGAIN)
			log_error("wake-up eventfd: %s", strerror(errno));
		return 0;
	}
	/* Only here does the active count drop: see conn_end(). */
	atomic_fetch_sub(&stats.active, (unsigned long)count);
	return (unsigned long)count;
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

static int
main_loop(struct server *s)
{
	struct pollfd *pfd = NULL, *grown;
	size_t i, cap = 0;
	struct config *cfg;
	bool listening;
	long long timer;
	struct config_errors errors;
	int sig;

	for (;;) {
		timer = tick(s);
		listening = accept_turn(&s->acc, s->cfg, &timer);
		if (cap < s->ls.n + NFIXED) {
			cap = s->ls.n + NFIXED;
			if ((grown = realloc(pfd, cap * sizeof(*pfd))) == NULL) {
				log_error("out of memory in the accept loop");
				free(pfd);
				return -1;
			}
			pfd = grown;
		}
		pfd[0] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->conns.wake_fd,
		    .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = reload_fd(&s->reload),
		    .events = POLLIN };
		for (i = 0; i < s->ls.n; i++)
			pfd[i + NFIXED] = (struct pollfd){ .events = POLLIN,
			    .fd = listening && listener_accepts(&s->ls.v[i]) ?
			    s->ls.v[i].fd : -1 };
		if (poll(pfd, s->ls.n + NFIXED,
		    clock_poll_timeout(timer)) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			free(pfd);
			return -1;
		}
		if ((pfd[1].revents & POLLIN) && clear_wakeups(s) > 0)
			accept_workers_ended(&s->acc);
		/* Listeners first: a reload may replace the set. */
		accept_ready(&s->acc, s->cfg, pfd + NFIXED);
		if (pfd[2].revents & POLLIN) {
			cfg = reload_collect(&s->reload, &errors);
			reload_end(s, cfg, &errors);
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
	accept_stop(&s->acc);
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
	if (main_loop(s) != 0)
		return 71;	/* EX_OSERR */
	return drain(s);
}
