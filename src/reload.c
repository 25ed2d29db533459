/*
 * A reload, in two halves.  On SIGHUP the main thread starts a loader
 * thread, which reads the file and looks every name in it up while the
 * main thread goes on accepting (reload_begin); once the loader is done,
 * the main thread applies what it made, at once and as a whole, with
 * nothing left to look up (reload_end).
 *
 * The loader's job is on the heap and counted: the main thread holds one
 * reference and the loader one, and whichever lets go last frees it, the
 * eventfd included.  So at shutdown the main thread can leave a loader
 * stuck in the resolver behind without waiting for it and without
 * anything being freed under it.
 */
#include "reload.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rlimits.h"
#include "server.h"

/*
 * getaddrinfo() and the NSS modules need an ordinary stack, not the small
 * one connection threads have; this one is mostly never touched.
 */
#define LOADER_STACK (1024 * 1024)

struct reload_job {
	pthread_t tid;
	int done_fd;		/* eventfd, written once the result is in */
	atomic_int refs;	/* the main thread's and the loader's */
	char *path;
	struct config_overrides ov;
	bool has_ov;
	struct config *cfg;	/* the result: a configuration, */
	struct config_errors errors;	/* or why not */
};

static void
job_unref(struct reload_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	close(j->done_fd);
	config_unref(j->cfg);
	config_errors_free(&j->errors);
	free(j->path);
	free(j);
}

static void *
loader(void *arg)
{
	struct reload_job *j = arg;
	uint64_t one = 1;

	j->cfg = config_load(j->path, j->has_ov ? &j->ov : NULL, &j->errors);
	/* Adding 1 to a fresh eventfd cannot block or overflow. */
	if (write(j->done_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_error("reload: eventfd: %s; the reload never ends",
		    strerror(errno));
	job_unref(j);
	return NULL;
}

static int
spawn(struct reload_job *j)
{
	pthread_attr_t attr;
	int err;

	if ((err = pthread_attr_init(&attr)) != 0)
		return err;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
	if (err == 0)
		err = pthread_attr_setstacksize(&attr, LOADER_STACK);
	if (err == 0)
		err = pthread_create(&j->tid, &attr, loader, j);
	pthread_attr_destroy(&attr);
	return err;
}

int
reload_start(struct reload *r, const char *path,
    const struct config_overrides *ov)
{
	struct reload_job *j;
	int err;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		log_error("out of memory for reloading %s", path);
		free(j);
		return -1;
	}
	/* ov's strings are the command line's: they outlive any loader. */
	if (ov != NULL) {
		j->ov = *ov;
		j->has_ov = true;
	}
	atomic_init(&j->refs, 2);
	if ((j->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		log_error("cannot reload %s: eventfd: %s", path,
		    strerror(errno));
		free(j->path);
		free(j);
		return -1;
	}
	if ((err = spawn(j)) != 0) {
		log_error("cannot start a thread to reload %s: %s", path,
		    strerror(err));
		close(j->done_fd);
		free(j->path);
		free(j);
		return -1;
	}
	r->job = j;
	return 0;
}

bool
reload_busy(const struct reload *r)
{
	return r->job != NULL;
}

int
reload_fd(const struct reload *r)
{
	return r->job != NULL ? r->job->done_fd : -1;
}

struct config *
reload_collect(struct reload *r, struct config_errors *errors)
{
	struct reload_job *j = r->job;
	struct config *cfg;
	int err;

	r->job = NULL;
	/* The loader's last act was to signal: this hardly waits. */
	if ((err = pthread_join(j->tid, NULL)) != 0)
		log_error("reload: pthread_join: %s", strerror(err));
	cfg = j->cfg;
	/* The lines change hands: the job frees none of them. */
	*errors = j->errors;
	j->cfg = NULL;
	j->errors.n = 0;
	job_unref(j);
	return cfg;
}

void
reload_stop(struct reload *r, int wait_ms)
{
	struct reload_job *j = r->job;
	struct pollfd pfd;
	struct config_errors errors;
	int err;

	if (j == NULL)
		return;
	pfd = (struct pollfd){ .fd = j->done_fd, .events = POLLIN };
	if (poll(&pfd, 1, wait_ms) > 0) {
		config_unref(reload_collect(r, &errors));
		config_errors_free(&errors);
		return;
	}
	log_info("not waiting for the reload still under way");
	r->job = NULL;
	if ((err = pthread_detach(j->tid)) != 0)
		log_error("reload: pthread_detach: %s", strerror(err));
	job_unref(j);
}

static void
log_errors(const struct config_errors *errors)
{
	size_t i;

	for (i = 0; i < errors->n; i++)
		log_error("%s", errors->line[i]);
}

/*
 * A reload's second half, on the main thread, with nothing left to look
 * up: all or nothing, and the running configuration survives any error.
 */
static int
apply(struct server *s, struct config *cfg)
{
	if (s->inherited) {
		log_info("listen addresses unchanged: the sockets come from "
		    "the service manager");
		listeners_retune(&s->ls, cfg);
	} else if (listeners_update(&s->ls, cfg) != 0) {
		listeners_retune(&s->ls, s->cfg);
		return -1;
	}
	/* Privileges are gone by now; they cannot change until a restart. */
	if (strcmp(cfg->user, s->cfg->user) != 0 ||
	    strcmp(cfg->group, s->cfg->group) != 0)
		log_warning("user and group changes take effect at restart");
	/* Workers hold their own references: they keep the old one. */
	config_unref(s->cfg);
	s->cfg = cfg;
	log_set_level((enum log_level)cfg->log.level);
	limits_check(cfg);
	return 0;
}

/* What the loader made (NULL: errors, if any, say why) is applied. */
void
reload_end(struct server *s, struct config *cfg,
    struct config_errors *errors)
{
	if (errors != NULL) {
		log_errors(errors);
		config_errors_free(errors);
	}
	if (cfg != NULL && apply(s, cfg) == 0)
		log_info("reloaded %s: mode %s, %zu listen addresses",
		    s->config_path, cfg->mode->name,
		    cfg->n_listen);
	else {
		config_unref(cfg);
		log_error("reload failed; keeping the running configuration");
	}
	notify_send(&s->notify, "READY=1\nSTATUS=%s", s->status);
	if (s->reload_again) {
		s->reload_again = false;
		reload_begin(s);
	}
}

/*
 * SIGHUP: the file is read, and its names looked up, by a loader thread
 * while this one goes on accepting.  One reload at a time: SIGHUPs during
 * one make one more after it, which reads the file as it is by then.
 */
void
reload_begin(struct server *s)
{
	if (reload_busy(&s->reload)) {
		s->reload_again = true;
		log_info("SIGHUP during a reload: %s is read again once it "
		    "ends", s->config_path);
		return;
	}
	notify_send(&s->notify, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    clock_usec());
	log_info("reloading %s", s->config_path);
	if (reload_start(&s->reload, s->config_path, s->ov) != 0)
		reload_end(s, NULL, NULL);
}
