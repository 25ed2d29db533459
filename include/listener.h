/* The listening sockets: socket(), bind(), listen(), and their reload. */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct config;

/*
 * What a listening socket carries.  listener.c has a row for each kind
 * (its name, socket type and address families): opening a socket and
 * checking an inherited one go by that row.
 */
enum listener_kind {
	LISTENER_TCP,
};

struct listener {
	int fd;
	enum listener_kind kind;
	char *spec;		/* the listen value it came from */
	unsigned nth;		/* which repeat of that value ("*:0" twice) */
	char addr[ADDR_STRLEN];	/* what it is bound to, real port included */
	struct bind_addr at;	/* the same, to compare and to bind again */
	bool reuse_port;	/* as opened, to open it again */
	unsigned backlog;
};

struct listeners {
	struct listener *v;
	size_t n;
};

/*
 * Makes *ls match cfg's listen values, as config_load() resolved them
 * (nothing is looked up here).  They are compared by the sockets they
 * mean, not by their text: a running socket bound to an address a value
 * still means is kept ("7" and "*:7" are one socket; of "localhost:7",
 * "127.0.0.1:7" keeps 127.0.0.1:7 and drops [::1]:7), and its backlog
 * updated; port 0 values keep their sockets by value.  New sockets are
 * opened while the old ones still serve, except one that overlaps a
 * socket being dropped ("*:7" to "127.0.0.1:7"): that one is closed
 * first.  All or nothing: on any failure, what was opened is closed, what
 * was closed is opened again, and -1 is returned with the reason logged.
 */
int listeners_update(struct listeners *ls, const struct config *cfg);

/*
 * Socket activation: takes the listening sockets a service manager passed
 * (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; see sd_listen_fds(3)), checks
 * that each is a listening socket of a known kind (TCP), and clears the
 * variables.  Returns how many were taken (0 when none were passed), or
 * -1 (reason logged).
 */
int listeners_inherit(struct listeners *ls);

void listeners_close(struct listeners *ls);

#endif
