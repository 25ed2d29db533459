/*
 * A reload, from SIGHUP to applied: prepared off the accept loop, in a
 * thread of its own, then applied by the main thread at once.
 */
#ifndef ECHOD_RELOAD_H
#define ECHOD_RELOAD_H

#include <stdbool.h>

#include "config.h"

/*
 * config_load() reads the file, looks user and group up and resolves
 * every listen value: with a slow resolver that takes seconds, which the
 * accept loop (and the watchdog it pings) must not wait for.  So a
 * loader thread runs it and signals a descriptor the accept loop polls;
 * the main thread then takes the result and applies it at once.  One
 * reload at a time.
 */
struct reload_job;
struct server;

struct reload {
	struct reload_job *job;	/* under way, or done and not collected */
};

/*
 * Starts loading path (with ov, which may be NULL) in a loader thread.
 * Returns 0, or -1 with the reason logged.  None may be under way.
 */
int reload_start(struct reload *r, const char *path,
    const struct config_overrides *ov);

bool reload_busy(const struct reload *r);

/* Readable once the loader is done; -1 when no reload is under way. */
int reload_fd(const struct reload *r);

/*
 * Once reload_fd() is readable: ends the loader and returns what it made,
 * a configuration, or NULL and in *errors the lines config_load() gave
 * (the caller frees them with config_errors_free()).
 */
struct config *reload_collect(struct reload *r,
    struct config_errors *errors);

/*
 * Shutting down: waits up to wait_ms for a loader still running, then
 * leaves it to end on its own (it frees what it holds); any result is
 * dropped.
 */
void reload_stop(struct reload *r, int wait_ms);

/*
 * SIGHUP, on the main thread: says RELOADING=1 and starts a loader for
 * the server's file; during a reload, has the file read again once it
 * ends instead.
 */
void reload_begin(struct server *s);

/*
 * The loader is done, and reload_collect() gave cfg and errors: applies
 * cfg at once and as a whole (NULL: errors, if any, say why; both are
 * taken over), or keeps the running configuration; says READY=1.
 */
void reload_end(struct server *s, struct config *cfg,
    struct config_errors *errors);

#endif
