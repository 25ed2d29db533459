/*
 * Thread-per-connection.  Every accepted socket gets its own detached
 * thread with a small, explicit stack; the thread speaks the protocol and
 * cleans up after itself.  Nothing joins it: the main thread counts the
 * workers that are done from their wake-ups on an eventfd.
 */
#include "conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config.h"
#include "echo.h"
#include "log.h"
#include "stats.h"
#include "talk.h"

int
conn_set_init(struct conn_set *set)
{
	int err;

	set->head = NULL;
	if (srctab_init(&set->sources) != 0)
		return ENOMEM;
	set->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (set->wake_fd < 0) {
		err = errno;
		srctab_free(&set->sources);
		return err;
	}
	if ((err = pthread_mutex_init(&set->lock, NULL)) != 0) {
		close(set->wake_fd);
		srctab_free(&set->sources);
		return err;
	}
	return 0;
}

void
conn_set_destroy(struct conn_set *set)
{
	pthread_mutex_destroy(&set->lock);
	close(set->wake_fd);
	srctab_free(&set->sources);
}

bool
conn_set_reserve(struct conn_set *set, const unsigned char src[16],
    unsigned max)
{
	struct src *e;
	bool ok;

	pthread_mutex_lock(&set->lock);
	e = srctab_get(&set->sources, src, true);
	/* Uncounted (no memory or room), its end would uncount another. */
	ok = e != NULL && (max == 0 || e->conns < max);
	if (ok)
		e->conns++;
	pthread_mutex_unlock(&set->lock);
	return ok;
}

/* With set->lock held: gives back one reservation for src. */
static void
release(struct conn_set *set, const unsigned char src[16])
{
	struct src *e = srctab_get(&set->sources, src, false);

	if (e != NULL && --e->conns == 0)
		srctab_del(&set->sources, e);
}

void
conn_set_shutdown_all(struct conn_set *set)
{
	struct conn *c;

	pthread_mutex_lock(&set->lock);
	for (c = set->head; c != NULL; c = c->next) {
		c->end_reason = "shutdown";
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&set->lock);
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
	release(set, c->src);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		set->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&set->lock);
}

ssize_t
conn_recv(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		c->bytes_in += (unsigned long long)n;
	else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
	    c->end_reason == NULL)
		c->end_reason = "idle timeout";	/* SO_RCVTIMEO expired */
	else if (n < 0 && c->end_reason == NULL)
		c->end_reason = strerrordesc_np(errno);
	return n;
}

int
conn_send_all(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		/* MSG_NOSIGNAL: a vanished client is an error, not SIGPIPE. */
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* SO_SNDTIMEO expired: the client stopped reading. */
			if (c->end_reason == NULL)
				c->end_reason = errno == EAGAIN ||
				    errno == EWOULDBLOCK ? "send timeout" :
				    strerrordesc_np(errno);
			return -1;
		}
		p += n;
		len -= (size_t)n;
		c->bytes_out += (unsigned long long)n;
		atomic_fetch_add_explicit(&stats.bytes_echoed,
		    (unsigned long long)n, memory_order_relaxed);
	}
	return 0;
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
	if (setsockopt(c->fd, SOL_SOCKET, opt, &tv, sizeof(tv)) != 0)
		log_warning("%s: cannot set %s: %s", c->peer, what,
		    strerror(errno));
}

/* Frees a connection that never ran (or has finished) and wakes main. */
static void
conn_end(struct conn *c)
{
	static const uint64_t one = 1;
	int wake_fd = c->set->wake_fd;

	set_remove(c->set, c);
	close(c->fd);
	config_unref(c->cfg);
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
	const struct config *cfg = c->cfg;
	const char *why;

	/* Said here, so that a client left without a thread is never
	 * logged as connected. */
	if (cfg->log.connections)
		log_info("%s: connected (%lu active)", c->peer,
		    atomic_load(&stats.active));
	set_timeout(c, SO_RCVTIMEO, cfg->idle_timeout_ms, "idle_timeout");
	set_timeout(c, SO_SNDTIMEO, cfg->send_timeout_ms, "send_timeout");
	if (cfg->mode == MODE_TALK)
		talk_session(c);
	else
		echo_session(c);
	why = c->end_reason;
	if (cfg->log.connections)
		log_info("%s: closed after %.3f s, %llu bytes in, %llu bytes "
		    "out%s%s%s", c->peer, seconds_since(&c->started),
		    c->bytes_in, c->bytes_out, why ? " (" : "", why ? why : "",
		    why ? ")" : "");
	conn_end(c);
	return NULL;
}

int
conn_spawn(struct conn_set *set, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const unsigned char src[16], struct config *cfg)
{
	pthread_attr_t attr;
	pthread_t tid;
	struct conn *c;
	int err;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_lock(&set->lock);
		release(set, src);
		pthread_mutex_unlock(&set->lock);
		close(fd);
		return ENOMEM;
	}
	c->fd = fd;
	memcpy(c->src, src, sizeof(c->src));
	c->cfg = config_ref(cfg);
	c->set = set;
	addr_format(peer, peerlen, c->peer, sizeof(c->peer));
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	atomic_fetch_add(&stats.active, 1);
	set_add(set, c);

	if ((err = pthread_attr_init(&attr)) != 0)
		goto fail;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (err == 0)
		err = pthread_attr_setstacksize(&attr, cfg->thread_stack_size);
	if (err == 0)
		err = pthread_create(&tid, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (err == 0) {
		atomic_fetch_add(&stats.accepted, 1);
		return 0;
	}
fail:
	/* No thread: close the client now rather than leak its socket. */
	conn_end(c);
	return err;
}
