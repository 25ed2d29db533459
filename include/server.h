/* The main thread: signals, the accept loop, reload, and the drain. */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "admit.h"
#include "reload.h"

struct server {
	const char *config_path;
	const struct config_overrides *ov;
	struct config *cfg;		/* for new connections */
	struct reload reload;		/* the SIGHUP under way */
	bool reload_again;		/* another SIGHUP came meanwhile */
	struct listeners ls;
	struct conn_set conns;
	int sig_fd;			/* signalfd for the signals we handle */
	bool at_limit;			/* max_connections reached */
	unsigned long waited;		/* clients accepted in this episode */
	bool evicting;			/* one evicted; its end not seen yet */
	struct timespec evict_check;	/* at the limit: when to look again */
	struct timespec paused_until;	/* accept() back-off after EMFILE */
	struct conn *pending;		/* accepted, waiting for a thread */
	bool inherited;			/* sockets from the service manager */
	struct notify notify;		/* sd_notify, when under systemd */
	char status[NOTIFY_STATUS_LEN];	/* the STATUS= last sent */
	struct admit admit;		/* who may connect, per source */
	struct log_limit accept_errors;
	struct log_limit thread_errors;
	struct log_limit evictions;
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
