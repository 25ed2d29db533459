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
 * Bytes of buffer inside struct conn: a protocol's first reads go here,
 * so that an idle connection costs no heap of its own (see echo.c).
 */
#define CONN_SMALL_BUF 512

struct conn {
	int fd;
	struct config *cfg;	/* the configuration it started with */
	struct conn_set *set;
	char peer[ADDR_STRLEN];
	struct conn_release release;	/* given back in conn_end() */
	struct timespec started;
	unsigned long long bytes_in, bytes_out;
	/* When it last moved a byte (clock_coarse_ms); main reads it. */
	atomic_llong active_ms;
	/* Why it ended, when not the client's doing; main sets it too. */
	_Atomic(const char *) end_reason;
	struct conn *prev, *next;
	char small[CONN_SMALL_BUF];
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
struct conn *conn_new(struct conn_set *set, int fd,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_release *release, struct config *cfg);

/*
 * Serves c on a new detached thread with its config's stack size.
 * Returns 0, or an errno value when no thread could be created: c is
 * then still the caller's, to start again later or to drop.
 */
int conn_start(struct conn *c);

/* Closes and frees a connection that no thread serves. */
void conn_drop(struct conn *c);

/* recv() for protocol code: >0 bytes, 0 at end of input, -1 on error. */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);

/* Sends all len bytes, finishing partial sends; 0 or -1. */
int conn_send_all(struct conn *c, const void *buf, size_t len);

/* conn_recv() into a pipe: splice() from the socket to pipe_w. */
ssize_t conn_splice_in(struct conn *c, int pipe_w, size_t len);

/* conn_send_all() from a pipe holding at least len bytes. */
int conn_splice_out_all(struct conn *c, int pipe_r, size_t len);

/* How long, and how much, conn_linger waits for and drops. */
#define CONN_LINGER_MS 2000
#define CONN_LINGER_BYTES (16ULL * 1024 * 1024)

/*
 * For a session that echod ends while the client may still be sending:
 * shuts the sending side down after what was sent, then reads (into
 * buf[0..len)) and drops input until the client's end of input, for at
 * most CONN_LINGER_MS and CONN_LINGER_BYTES, so that closing does not
 * reset the connection and destroy the last reply in flight.
 */
void conn_linger(struct conn *c, void *buf, size_t len);

#endif
