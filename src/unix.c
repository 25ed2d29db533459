/*
 * Unix stream sockets: the socket file.  bind() makes it and nothing
 * ever removes it but an unlink(), so an instance that died (SIGKILL, a
 * crash) leaves it behind, and the next bind() on that path fails.  So
 * before binding, a socket file already there is tried with connect():
 * refused means nobody listens on it any more, and it is replaced; an
 * answer means a live process serves it, and echod will not take its
 * path.  Anything but a socket is never removed.
 *
 * The file's mode and group are set on the path after bind() and before
 * listen(): until listen(), a connect() is refused whatever the file's
 * bits, so the moment bind() leaves them as the umask says opens nothing
 * to anyone.  The umask itself is left alone: it belongs to the process,
 * every thread shares it.  chmod and chown do not follow a symbolic link
 * put in the socket's place, so they change no other file.
 */
#include "unix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "listener.h"
#include "log.h"

/* What connect() tells of a socket file already there. */
enum probe {
	PROBE_GONE,	/* no file any more */
	PROBE_STALE,	/* nobody listens on it: left by an instance gone */
	PROBE_LIVE,	/* a process accepts on it (or has it, another type) */
	PROBE_UNKNOWN,	/* cannot tell; errno says why */
};

static const char *
path_of(const struct bind_addr *ba)
{
	return ((const struct sockaddr_un *)&ba->sa)->sun_path;
}

static int
refuse(const char *want, const char *spec, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Logs why want (of value spec) cannot be opened; -1 with errno err. */
static int
refuse(const char *want, const char *spec, int err, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_error("cannot listen on %s (listen = %s): %s", want, spec, why);
	errno = err;
	return -1;
}

/*
 * Non-blocking: a live listener with a full queue answers EAGAIN at
 * once.  A connection the other process accepts is closed right away; it
 * sees a client that said nothing.
 */
static enum probe
probe(const struct bind_addr *ba)
{
	int fd, r, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return PROBE_UNKNOWN;
	r = connect(fd, (const struct sockaddr *)&ba->sa, ba->len);
	err = errno;
	close(fd);
	errno = err;
	if (r == 0 || err == EAGAIN || err == EPROTOTYPE)
		return PROBE_LIVE;
	if (err == ECONNREFUSED)
		return PROBE_STALE;
	return err == ENOENT ? PROBE_GONE : PROBE_UNKNOWN;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Makes room at ba's path: no file is fine, a stale socket file is
 * removed, anything else is an error (logged).
 */
static int
make_room(const struct bind_addr *ba, const char *want, const char *spec)
{
	const char *path = path_of(ba);
	struct stat st, now;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : refuse(want, spec, errno,
		    "stat: %s", strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return refuse(want, spec, EEXIST, "it exists and is not a "
		    "socket (echod leaves it alone)");
	switch (probe(ba)) {
	case PROBE_GONE:
		return 0;
	case PROBE_LIVE:
		return refuse(want, spec, EADDRINUSE, "already in use: "
		    "another process accepts connections on it");
	case PROBE_UNKNOWN:
		return refuse(want, spec, errno, "cannot tell whether it is "
		    "in use: connect: %s", strerror(errno));
	case PROBE_STALE:
		break;
	}
	/* Only the file probed: never what may have taken its place. */
	if (lstat(path, &now) != 0 || !same_file(&st, &now))
		return errno == ENOENT ? 0 : refuse(want, spec, EEXIST,
		    "it changed while it was checked");
	if (unlink(path) != 0 && errno != ENOENT)
		return refuse(want, spec, errno, "cannot remove the stale "
		    "socket file: unlink: %s", strerror(errno));
	log_info("%s: replaced a stale socket file (nobody listened on it)",
	    want);
	return 0;
}

/*
 * Whether l's path is still the file echod made: 1, 0 for another file
 * or none, -1 when it cannot be told (errno).
 */
static int
still_made(const struct listener *l)
{
	struct stat st;

	if (lstat(path_of(&l->at), &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return S_ISSOCK(st.st_mode) && st.st_dev == l->file.dev &&
	    st.st_ino == l->file.ino;
}

static int
set_group(const char *path, gid_t gid)
{
	return gid == (gid_t)-1 ? 0 :
	    fchownat(AT_FDCWD, path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW);
}

static int
set_mode(const char *path, unsigned mode)
{
	return fchmodat(AT_FDCWD, path, (mode_t)mode, AT_SYMLINK_NOFOLLOW);
}

int
unix_open(struct listener *l, const char *spec, const struct bind_addr *ba,
    const struct config *cfg)
{
	const char *path = path_of(ba);
	char want[ADDR_STRLEN], step[128];
	struct stat st;
	int err;

	bind_addr_format(ba, want, sizeof(want));
	l->at = *ba;
	l->fd = -1;
	memset(&l->file, 0, sizeof(l->file));
	if (make_room(ba, want, spec) != 0)
		return -1;
	snprintf(step, sizeof(step), "socket");
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	snprintf(step, sizeof(step), "bind");
	if (bind(l->fd, (const struct sockaddr *)&ba->sa, ba->len) != 0)
		goto fail;
	snprintf(step, sizeof(step), "stat");
	if (lstat(path, &st) != 0)
		goto fail;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(step, sizeof(step), "the socket file was replaced");
		errno = EEXIST;
		goto fail;
	}
	l->file = (struct unix_file){ true, st.st_dev, st.st_ino,
	    cfg->unix_mode, cfg->unix_gid };
	snprintf(step, sizeof(step), "chown to unix_group = %s",
	    cfg->unix_group);
	/* Not when it is the group already: chown(2) may be filtered. */
	if (cfg->unix_gid != st.st_gid && set_group(path, cfg->unix_gid) != 0)
		goto fail;
	snprintf(step, sizeof(step), "chmod to unix_mode = %04o",
	    cfg->unix_mode);
	if (set_mode(path, cfg->unix_mode) != 0)
		goto fail;
	snprintf(step, sizeof(step), "listen");
	if (listen(l->fd, (int)l->backlog) != 0)
		goto fail;
	return 0;
fail:
	err = errno;
	log_error("cannot listen on %s (listen = %s): %s: %s", want, spec,
	    step, strerror(err));
	if (l->fd >= 0)
		unix_close(l);
	l->fd = -1;
	errno = err;
	return -1;
}

void
unix_retune(struct listener *l, const struct config *cfg)
{
	const char *path = path_of(&l->at);

	if (listen(l->fd, (int)cfg->backlog) != 0)
		log_warning("%s: cannot update backlog: %s", l->addr,
		    strerror(errno));
	if (!l->file.made || still_made(l) != 1)
		return;
	if (cfg->unix_gid != (gid_t)-1 && cfg->unix_gid != l->file.gid) {
		if (set_group(path, cfg->unix_gid) == 0)
			l->file.gid = cfg->unix_gid;
		else
			log_warning("%s: cannot apply unix_group = %s: %s",
			    l->addr, cfg->unix_group, strerror(errno));
	}
	if (cfg->unix_mode != l->file.mode) {
		if (set_mode(path, cfg->unix_mode) == 0)
			l->file.mode = cfg->unix_mode;
		else
			log_warning("%s: cannot apply unix_mode = %04o: %s",
			    l->addr, cfg->unix_mode, strerror(errno));
	}
}

/*
 * After dropping root the directory may not let echod remove the file
 * (EACCES); it stays behind, and the next start finds nobody listening
 * on it and replaces it.  So that is no error.
 */
void
unix_close(struct listener *l)
{
	char name[ADDR_STRLEN];
	int made;

	close(l->fd);
	if (!l->file.made)
		return;
	l->file.made = false;
	bind_addr_format(&l->at, name, sizeof(name));
	/* Looked at after close(): another instance may take over then. */
	if ((made = still_made(l)) == 0) {
		log_debug("%s: the socket file is no longer the one echod "
		    "made; left alone", name);
		return;
	}
	if (made == 1 && unlink(path_of(&l->at)) == 0) {
		log_debug("%s: removed the socket file", name);
		return;
	}
	if (made == 1 && errno == ENOENT)
		return;
	log_info("%s: cannot remove the socket file: %s; the next start "
	    "replaces it", name, strerror(errno));
}
