/* The main thread: signals, the accept loop, reload, and the drain. */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "listener.h"

struct server {
	const char *config_path;
	const struct config_overrides *ov;
	struct config *cfg;		/* for new connections */
	struct listeners ls;
	struct conn_set conns;
	int sig_fd;			/* signalfd for the signals we handle */
	bool at_limit;			/* max_connections reached */
	unsigned long waited;		/* clients accepted in this episode */
	struct timespec paused_until;	/* accept() back-off after EMFILE */
};

/*
 * Blocks the handled signals (before any thread exists, so every worker
 * inherits the mask), ignores SIGPIPE, and takes ownership of cfg.
 * Returns 0, or -1 with the reason logged.
 */
int server_init(struct server *s, const char *config_path,
    const struct config_overrides *ov, struct config *cfg);

/* Opens the listening sockets; -1 (reason logged) if any cannot be. */
int server_listen(struct server *s);

/* Accepts until SIGTERM or SIGINT, then drains; returns the exit code. */
int server_run(struct server *s);

void server_free(struct server *s);

#endif
