/*
 * The main thread: setting up, the poll loop that hands each event to
 * its part (accept.c, reload.c, notify.c), signals, and the drain.
 */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <stdbool.h>

#include "accept.h"
#include "admit.h"
#include "config.h"
#include "conn.h"
#include "listener.h"
#include "notify.h"
#include "reload.h"

struct server {
	const char *config_path;
	const struct config_overrides *ov;
	struct config *cfg;		/* for new connections */
	struct reload reload;		/* the SIGHUP under way */
	bool reload_again;		/* another SIGHUP came meanwhile */
	struct listeners ls;
	bool inherited;			/* sockets from the service manager */
	struct conn_set conns;
	struct admit admit;		/* who may connect, per source */
	struct acceptor acc;		/* the accept loop's state */
	int sig_fd;			/* signalfd for the signals we handle */
	struct notify notify;		/* sd_notify, when under systemd */
	char status[NOTIFY_STATUS_LEN];	/* the STATUS= last sent */
};

/*
 * Blocks the handled signals (before any thread exists, so every worker
 * inherits the mask), ignores SIGPIPE, and takes ownership of cfg.
 * Returns 0, or -1 with the reason logged; then cfg is still the
 * caller's and nothing else needs freeing.
 */
int server_init(struct server *s, const char *config_path,
    const struct config_overrides *ov, struct config *cfg);

/*
 * Takes the sockets passed by a service manager, or else opens the
 * configured ones; -1 (reason logged) if any cannot be used.
 */
int server_listen(struct server *s);

/* Tells the service manager that echod is ready (after privilege drop). */
void server_ready(struct server *s);

/* Accepts until SIGTERM or SIGINT, then drains; returns the exit code. */
int server_run(struct server *s);

void server_free(struct server *s);

#endif
