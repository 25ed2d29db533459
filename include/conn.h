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
#include "srctab.h"

struct config;

/*
 * The set of live connections.  The main thread needs it only to shut
 * every socket down when the drain time is over; workers leave it before
 * they close their socket, so the main thread never touches a closed fd.
 */
struct conn_set {
	pthread_mutex_t lock;
	struct conn *head;
	struct srctab sources;	/* open connections per source */
	int wake_fd;		/* eventfd: counts the workers that finished */
};

struct conn {
	int fd;
	struct config *cfg;	/* the configuration it started with */
	struct conn_set *set;
	char peer[ADDR_STRLEN];
	unsigned char src[16];	/* its source, counted in set->sources */
	struct timespec started;
	unsigned long long bytes_in, bytes_out;
	/* Why it ended, when not the client's doing; main sets it too. */
	_Atomic(const char *) end_reason;
	struct conn *prev, *next;
};

int conn_set_init(struct conn_set *set);
void conn_set_destroy(struct conn_set *set);

/* Shuts every live connection down (both directions). */
void conn_set_shutdown_all(struct conn_set *set);

/*
 * Counts one more connection from source src, unless it has max open
 * already (max 0: no limit); false when it may not have another.
 */
bool conn_set_reserve(struct conn_set *set, const unsigned char src[16],
    unsigned max);

/*
 * Serves fd on a new detached thread with cfg's stack size; takes
 * ownership of fd (closed on failure too), of the reservation for src,
 * and a reference to cfg.  Returns 0, or an errno value when the thread
 * could not be created.
 */
int conn_spawn(struct conn_set *set, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const unsigned char src[16], struct config *cfg);

/* recv() for protocol code: >0 bytes, 0 at end of input, -1 on error. */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);

/* Sends all len bytes, finishing partial sends; 0 or -1. */
int conn_send_all(struct conn *c, const void *buf, size_t len);

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
