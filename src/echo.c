/*
 * RFC 862 echo over TCP: whatever arrives goes back, byte for byte.  The
 * loop is the plainest one possible: recv() a buffer, send() all of it.
 * When the client half-closes, recv() returns 0 and everything received
 * has already been sent back, so the session is over.
 */
#include "echo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "session.h"
#include "stats.h"

/*
 * Most connections send little, and an idle one should cost no more than
 * its thread: reads start in the small buffer inside struct session.  A
 * read that fills the buffer means the client sends faster than one read
 * takes it, so the buffer grows, eight times at a step, up to buffer_size.
 */
#define GROW_FACTOR 8

/* Descriptors beyond one a connection kept for listeners, logs, notify. */
#define PIPE_FD_RESERVE 64

/* Swaps *buf for a larger heap buffer; keeps the old one if out of memory. */
static void
grow(struct session *s, char **heap, char **buf, size_t *size)
{
	size_t max = s->cfg->buffer_size;
	size_t want = *size > max / GROW_FACTOR ? max : *size * GROW_FACTOR;
	char *p;

	if ((p = malloc(want)) == NULL) {
		log_debug("%s: out of memory for a %zu-byte buffer; going on "
		    "with %zu bytes", s->peer, want, *size);
		return;
	}
	free(*heap);
	*heap = *buf = p;
	*size = want;
}

/*
 * Pipes may take only the descriptors that max_connections leaves free:
 * a pipe for every streaming client must never make accept() fail with
 * EMFILE.  Beyond that budget a client goes on copying.
 */
static bool
take_pipe(const struct config *cfg)
{
	unsigned long long want = cfg->max_connections + PIPE_FD_RESERVE;
	struct rlimit rl;
	unsigned long n = atomic_fetch_add(&stats.pipes, 1) + 1;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want &&
	    2 * (unsigned long long)n <= rl.rlim_cur - want)
		return true;
	atomic_fetch_sub(&stats.pipes, 1);
	return false;
}

/*
 * A client that fills even the largest buffer streams: from then on its
 * bytes go from socket to pipe to socket with splice(), never copied
 * into echod.  The same loop as below, only through a pipe; false if no
 * pipe could be had (descriptors may be short), so the copying loop
 * goes on.
 */
static bool
splice_session(struct session *s)
{
	size_t len = s->cfg->buffer_size;
	int p[2];
	ssize_t n;

	if (!take_pipe(s->cfg)) {
		log_debug("%s: streaming, but the descriptors left for pipes "
		    "are in use", s->peer);
		return false;
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		atomic_fetch_sub(&stats.pipes, 1);
		log_debug("%s: streaming, but no pipe to splice through: %s",
		    s->peer, strerror(errno));
		return false;
	}
	log_debug("%s: streaming: splicing through a pipe", s->peer);
	/*
	 * The pipe holds what one splice_in() takes: grow it to len.  If
	 * that is refused, each splice moves what the pipe holds instead.
	 */
	if (len > 65536)
		fcntl(p[1], F_SETPIPE_SZ, (int)len);
	while ((n = session_splice_in(s, p[1], len)) > 0)
		if (session_splice_out_all(s, p[0], (size_t)n) != 0)
			break;
	close(p[0]);
	close(p[1]);
	atomic_fetch_sub(&stats.pipes, 1);
	return true;
}

void
echo_session(struct session *s)
{
	size_t max = s->cfg->buffer_size;
	size_t size = max < sizeof(s->small) ? max : sizeof(s->small);
	char *buf = s->small, *heap = NULL;
	ssize_t n;

	while ((n = session_recv(s, buf, size)) > 0) {
		if (session_send_all(s, buf, (size_t)n) != 0)
			break;
		if ((size_t)n < size)
			continue;
		if (size < max)
			grow(s, &heap, &buf, &size);
		else if (s->cfg->splice && splice_session(s))
			break;
	}
	free(heap);
}
