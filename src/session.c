/*
 * The I/O a protocol does on its connection.  Every byte moved is counted
 * and marks the connection active (the main thread evicts the idlest);
 * every failure says why the session ended, unless something already did.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"
#include "priority.h"
#include "stats.h"

/* n bytes came in (n > 0), or the read failed: count it, or say why. */
static ssize_t
received(struct session *s, ssize_t n)
{
	if (n > 0) {
		/* A client that came back for more: see priority.c. */
		if (s->reads < PRIORITY_BUSY_READS &&
		    ++s->reads == PRIORITY_BUSY_READS)
			priority_worker_busy(s->peer);
		s->bytes_in += (unsigned long long)n;
		atomic_store_explicit(&s->active_ms, clock_coarse_ms(),
		    memory_order_relaxed);
	} else if (n < 0 && s->end_reason == NULL) {
		/* EAGAIN: SO_RCVTIMEO expired. */
		s->end_reason = errno == EAGAIN || errno == EWOULDBLOCK ?
		    "idle timeout" : strerrordesc_np(errno);
	}
	return n;
}

/* n bytes went out (n >= 0), or the write failed: count it, or say why. */
static int
sent(struct session *s, ssize_t n)
{
	if (n < 0) {
		/* SO_SNDTIMEO expired: the client stopped reading. */
		if (s->end_reason == NULL)
			s->end_reason = errno == EAGAIN ||
			    errno == EWOULDBLOCK ? "send timeout" :
			    strerrordesc_np(errno);
		return -1;
	}
	s->bytes_out += (unsigned long long)n;
	atomic_store_explicit(&s->active_ms, clock_coarse_ms(),
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.bytes_echoed, (unsigned long long)n,
	    memory_order_relaxed);
	return 0;
}

ssize_t
session_recv(struct session *s, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(s->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return received(s, n);
}

int
session_send_all(struct session *s, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		/* MSG_NOSIGNAL: a vanished client is an error, not SIGPIPE. */
		n = send(s->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (sent(s, n) != 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The same two moves without copying the bytes through user space: from
 * the socket into a pipe, and from the pipe back out.  splice() keeps
 * SO_RCVTIMEO and SO_SNDTIMEO, so the time limits hold on this path too.
 */
ssize_t
session_splice_in(struct session *s, int pipe_w, size_t len)
{
	ssize_t n;

	do
		n = splice(s->fd, NULL, pipe_w, NULL, len, SPLICE_F_MOVE);
	while (n < 0 && errno == EINTR);
	return received(s, n);
}

int
session_splice_out_all(struct session *s, int pipe_r, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = splice(pipe_r, NULL, s->fd, NULL, len, SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (sent(s, n) != 0)
			return -1;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * poll() keeps the time: SO_RCVTIMEO (idle_timeout) would never expire
 * while the client keeps sending.
 */
void
session_linger(struct session *s, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct timespec end = clock_after_ms(SESSION_LINGER_MS);
	unsigned long long dropped = 0;
	long long left;
	ssize_t n;
	int r;

	if (shutdown(s->fd, SHUT_WR) != 0)
		return;
	while (dropped < SESSION_LINGER_BYTES &&
	    (left = clock_ms_until(&end)) > 0) {
		r = poll(&pfd, 1, clock_poll_timeout(left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n = session_recv(s, buf, len)) <= 0)
			break;
		dropped += (unsigned long long)n;
	}
	if (dropped > 0)
		log_debug("%s: dropped %llu bytes sent after the session "
		    "ended", s->peer, dropped);
}
