/* The listening sockets: socket(), bind(), listen(), and their reload. */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stddef.h>

#include "addr.h"

struct config;

struct listener {
	int fd;
	char *spec;		/* the listen value it came from */
	unsigned nth;		/* which repeat of that value ("*:0" twice) */
	char addr[ADDR_STRLEN];	/* what it is bound to, real port included */
};

struct listeners {
	struct listener *v;
	size_t n;
};

/*
 * Makes *ls match cfg's listen values: sockets whose value is unchanged
 * are kept (their backlog updated), new ones are opened, dropped ones are
 * closed.  All or nothing: if any new socket cannot be opened, *ls is left
 * as it was and -1 is returned with the reason logged.
 */
int listeners_update(struct listeners *ls, const struct config *cfg);

/*
 * Socket activation: takes the listening sockets a service manager passed
 * (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; see sd_listen_fds(3)), checks
 * that each is a listening TCP socket, and clears the variables.  Returns
 * how many were taken (0 when none were passed), or -1 (reason logged).
 */
int listeners_inherit(struct listeners *ls);

void listeners_close(struct listeners *ls);

#endif
