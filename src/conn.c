/*
 * Thread-per-connection.  Every accepted socket gets its own detached
 * thread with a small, explicit stack; the thread speaks the protocol and
 * cleans up after itself.  Nothing joins it: the main thread counts the
 * workers that are done from their wake-ups on an eventfd.
 */
#include "conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "priority.h"
#include "proto.h"
#include "stats.h"

int
conn_set_init(struct conn_set *set)
{
	int err;

	set->head = NULL;
	set->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (set->wake_fd < 0) {
		log_error("cannot set up the connection set: eventfd: %s",
		    strerror(errno));
		return -1;
	}
	if ((err = pthread_mutex_init(&set->lock, NULL)) != 0) {
		log_error("cannot set up the connection set: %s",
		    strerror(err));
		close(set->wake_fd);
		return -1;
	}
	return 0;
}

void
conn_set_destroy(struct conn_set *set)
{
	pthread_mutex_destroy(&set->lock);
	close(set->wake_fd);
}

void
conn_set_shutdown_all(struct conn_set *set)
{
	struct conn *c;

	pthread_mutex_lock(&set->lock);
	for (c = set->head; c != NULL; c = c->next) {
		c->sess.end_reason = "shutdown";
		shutdown(c->sess.fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&set->lock);
}

bool
conn_set_evict_idlest(struct conn_set *set, long long min_ms,
    const char *why, char who[ADDR_STRLEN], long long *idle_ms)
{
	long long now = clock_coarse_ms(), t, oldest = 0;
	struct conn *c, *idlest = NULL;

	pthread_mutex_lock(&set->lock);
	for (c = set->head; c != NULL; c = c->next) {
		t = atomic_load_explicit(&c->sess.active_ms,
		    memory_order_relaxed);
		/* On a tie the older one: the list runs newest first. */
		if (c->sess.end_reason == NULL &&
		    (idlest == NULL || t <= oldest)) {
			idlest = c;
			oldest = t;
		}
	}
	*idle_ms = idlest != NULL ? now - oldest : -1;
	if (idlest != NULL && *idle_ms >= min_ms) {
		idlest->sess.end_reason = why;
		shutdown(idlest->sess.fd, SHUT_RDWR);
		memcpy(who, idlest->sess.peer, ADDR_STRLEN);
		pthread_mutex_unlock(&set->lock);
		return true;
	}
	pthread_mutex_unlock(&set->lock);
	return false;
}

static void
set_add(struct conn_set *set, struct conn *c)
{
	pthread_mutex_lock(&set->lock);
	c->prev = NULL;
	c->next = set->head;
	if (set->head != NULL)
		set->head->prev = c;
	set->head = c;
	pthread_mutex_unlock(&set->lock);
}

static void
set_remove(struct conn_set *set, struct conn *c)
{
	pthread_mutex_lock(&set->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		set->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&set->lock);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The kernel keeps the time limits: recv() gives up after idle_timeout
 * of silence (SO_RCVTIMEO), send() after send_timeout without progress
 * (SO_SNDTIMEO), so a worker never waits on a client for ever.
 */
static void
set_timeout(struct conn *c, int opt, unsigned long long ms, const char *what)
{
	struct timeval tv;

	if (ms == 0)
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (setsockopt(c->sess.fd, SOL_SOCKET, opt, &tv, sizeof(tv)) != 0)
		log_warning("%s: cannot set %s: %s", c->sess.peer, what,
		    strerror(errno));
}

/* Runs what a connection gives back when it ends, if anything. */
static void
give_back(const struct conn_release *r)
{
	if (r->fn != NULL)
		r->fn(r->ctx, r->arg);
}

/* Frees a connection that never ran (or has finished) and wakes main. */
static void
conn_end(struct conn *c)
{
	static const uint64_t one = 1;
	int wake_fd = c->set->wake_fd;

	set_remove(c->set, c);
	give_back(&c->release);
	close(c->sess.fd);
	config_unref(c->sess.cfg);
	free(c);
	/*
	 * The last thing a worker does: the main thread counts these
	 * wake-ups to know how many workers are done, and frees the set
	 * only when all are, so nothing here may touch it afterwards.  The
	 * eventfd counter is 64 bits wide: the write cannot fail short of
	 * EBADF.
	 */
	if (write(wake_fd, &one, sizeof(one)) < 0)
		log_error("wake-up eventfd: %s", strerror(errno));
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	const struct config *cfg = c->sess.cfg;
	const char *why;

	priority_worker_start(c->sess.peer);
	if (c->gate.fn != NULL && !c->gate.fn(c->gate.ctx, c)) {
		conn_end(c);
		return NULL;
	}
	set_timeout(c, SO_RCVTIMEO, cfg->idle_timeout_ms, "idle_timeout");
	set_timeout(c, SO_SNDTIMEO, cfg->send_timeout_ms, "send_timeout");
	cfg->mode->session(&c->sess);
	why = c->sess.end_reason;
	if (cfg->log.connections)
		log_msg(c->quiet ? LEVEL_DEBUG : LEVEL_INFO, "%s: closed after "
		    "%.3f s, %llu bytes in, %llu bytes out%s%s%s",
		    c->sess.peer, seconds_since(&c->started),
		    c->sess.bytes_in, c->sess.bytes_out, why ? " (" : "",
		    why ? why : "", why ? ")" : "");
	conn_end(c);
	return NULL;
}

/* A connection for fd, counted in the set, not logged yet. */
static struct conn *
conn_make(struct conn_set *set, int fd, const struct peer *peer,
    const struct conn_release *release, struct config *cfg)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		give_back(release);
		close(fd);
		return NULL;
	}
	c->sess.fd = fd;
	c->release = *release;
	c->sess.cfg = config_ref(cfg);
	c->set = set;
	peer_format(peer, c->sess.peer, sizeof(c->sess.peer));
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	atomic_init(&c->sess.active_ms, clock_coarse_ms());
	atomic_fetch_add(&stats.active, 1);
	set_add(set, c);
	return c;
}

struct conn *
conn_new(struct conn_set *set, int fd, const struct peer *peer,
    const struct conn_release *release, struct config *cfg)
{
	struct conn *c = conn_make(set, fd, peer, release, cfg);

	/*
	 * Said here, before the thread exists, rather than by the worker:
	 * formatting a line takes more stack than an idle worker otherwise
	 * ever touches, and each page it touches stays resident while the
	 * connection lasts.  Logged before pthread_create(), it also always
	 * comes before the worker's "closed".
	 */
	if (c != NULL && cfg->log.connections)
		log_info("%s: connected (%lu active)", c->sess.peer,
		    atomic_load(&stats.active));
	return c;
}

struct conn *
conn_new_gated(struct conn_set *set, int fd, const struct peer *peer,
    const struct conn_gate *gate, struct config *cfg)
{
	static const struct conn_release none = { NULL, NULL, NULL };
	struct conn *c = conn_make(set, fd, peer, &none, cfg);

	if (c != NULL)
		c->gate = *gate;
	return c;
}

void
conn_rename(struct conn *c, const char *peer)
{
	pthread_mutex_lock(&c->set->lock);
	snprintf(c->sess.peer, sizeof(c->sess.peer), "%s", peer);
	pthread_mutex_unlock(&c->set->lock);
}

int
conn_start(struct conn *c)
{
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	if ((err = pthread_attr_init(&attr)) != 0)
		return err;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (err == 0)
		err = pthread_attr_setstacksize(&attr,
		    c->sess.cfg->thread_stack_size);
	if (err == 0)
		err = pthread_create(&tid, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (err == 0)
		atomic_fetch_add(&stats.accepted, 1);
	return err;
}

void
conn_drop(struct conn *c)
{
	const char *why = c->sess.end_reason;

	if (c->sess.cfg->log.connections)
		log_info("%s: closed without being served (%s)", c->sess.peer,
		    why != NULL ? why : "no thread");
	conn_end(c);
}
