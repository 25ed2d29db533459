/*
 * What a protocol sees of its connection: the socket's I/O, counted and
 * timed, and the few things it may read or say.  A protocol includes this
 * header only; the thread and the connection set around it are conn.c's.
 */
#ifndef ECHOD_SESSION_H
#define ECHOD_SESSION_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"

struct config;

/*
 * Bytes of buffer inside struct session: a protocol's first reads go
 * here, so that an idle connection costs no heap of its own (see echo.c).
 */
#define SESSION_SMALL_BUF 512

/* Lives inside struct conn: serving a connection allocates no more. */
struct session {
	int fd;
	struct config *cfg;	/* the configuration it started with */
	char peer[ADDR_STRLEN];
	unsigned long long bytes_in, bytes_out;
	unsigned reads;		/* successful receives, up to the busy one */
	/* When it last moved a byte (clock_coarse_ms); main reads it. */
	atomic_llong active_ms;
	/* Why it ended, when not the client's doing; main sets it too. */
	_Atomic(const char *) end_reason;
	char small[SESSION_SMALL_BUF];
};

/* recv(): >0 bytes, 0 at end of input, -1 on error. */
ssize_t session_recv(struct session *s, void *buf, size_t len);

/* Sends all len bytes, finishing partial sends; 0 or -1. */
int session_send_all(struct session *s, const void *buf, size_t len);

/* session_recv() into a pipe: splice() from the socket to pipe_w. */
ssize_t session_splice_in(struct session *s, int pipe_w, size_t len);

/* session_send_all() from a pipe holding at least len bytes. */
int session_splice_out_all(struct session *s, int pipe_r, size_t len);

/* How long, and how much, session_linger waits for and drops. */
#define SESSION_LINGER_MS 2000
#define SESSION_LINGER_BYTES (16ULL * 1024 * 1024)

/*
 * For a session that echod ends while the client may still be sending:
 * shuts the sending side down after what was sent, then reads (into
 * buf[0..len)) and drops input until the client's end of input, for at
 * most SESSION_LINGER_MS and SESSION_LINGER_BYTES, so that closing does
 * not reset the connection and destroy the last reply in flight.
 */
void session_linger(struct session *s, void *buf, size_t len);

#endif
