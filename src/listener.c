/*
 * Listening sockets.  Each listen value ("HOST:PORT") becomes one socket
 * per address it resolves to; "*:PORT" is a single dual-stack IPv6 socket
 * (or IPv4 where the kernel has no IPv6).  The sockets are non-blocking
 * so that the accept loop can drain them without ever blocking in accept().
 * A reload compares the sockets the values mean, not their text.
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "udp.h"
#include "units.h"
#include "unix.h"

/*
 * What each kind of listening socket is made of, and how it is served:
 * every difference between kinds is a row here, and the rest of this
 * file (the reload's plan, socket activation) is the same for all.
 * families ends with 0 (AF_UNSPEC); an inherited socket is of the kind
 * whose type and families match it.
 */
struct kind {
	const char *name;	/* in messages */
	int type;		/* for socket(), and SO_TYPE */
	int families[3];
	bool accepts;		/* listen()s; the accept loop serves it */
	/*
	 * socket(), bind() and the rest, for address ba of value spec, with
	 * l->reuse_port and l->backlog set; fills l->fd and l->at (bound, the
	 * real port included) and starts serving.  0, or -1 (logged, errno
	 * kept, nothing left open).
	 */
	int (*open)(struct listener *l, const char *spec,
	    const struct bind_addr *ba, const struct config *cfg);
	/* An inherited socket starts serving; NULL: nothing to do. */
	int (*adopt)(struct listener *l, const struct config *cfg);
	/* A kept socket under a new configuration; NULL: nothing. */
	void (*retune)(struct listener *l, const struct config *cfg);
	/* Stops serving and closes l->fd. */
	void (*close)(struct listener *l);
};

static int tcp_open(struct listener *, const char *,
    const struct bind_addr *, const struct config *);
static void tcp_retune(struct listener *, const struct config *);
static void fd_close(struct listener *);
static int udp_open(struct listener *, const char *,
    const struct bind_addr *, const struct config *);
static int udp_adopt(struct listener *, const struct config *);
static void udp_retune_hook(struct listener *, const struct config *);
static void udp_close(struct listener *);

static const struct kind kinds[] = {
	[TRANSPORT_TCP] = { "TCP", SOCK_STREAM, { AF_INET, AF_INET6, 0 }, true,
	    tcp_open, NULL, tcp_retune, fd_close },
	[TRANSPORT_UDP] = { "UDP", SOCK_DGRAM, { AF_INET, AF_INET6, 0 }, false,
	    udp_open, udp_adopt, udp_retune_hook, udp_close },
	/* The socket file's life is unix.c's. */
	[TRANSPORT_UNIX] = { "Unix", SOCK_STREAM, { AF_UNIX, 0 }, true,
	    unix_open, NULL, unix_retune, unix_close },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The row of a kind, NULL for one this build cannot serve yet. */
static const struct kind *
kind_row(enum transport t)
{
	return (size_t)t < NKINDS && kinds[t].open != NULL ? &kinds[t] : NULL;
}

bool
listener_accepts(const struct listener *l)
{
	return kinds[l->kind].accepts;
}

static int
set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Opens l for ba as its kind does; unknown kinds are refused, logged. */
static int
open_one(struct listener *l, const char *spec, const struct bind_addr *ba,
    const struct config *cfg)
{
	const struct kind *k = kind_row(ba->kind);
	char want[ADDR_STRLEN];

	if (k == NULL) {
		bind_addr_format(ba, want, sizeof(want));
		log_error("cannot listen on %s (listen = %s): %s sockets are "
		    "not supported yet", want, spec, transport_name(ba->kind));
		errno = EPROTONOSUPPORT;
		return -1;
	}
	l->kind = ba->kind;
	return k->open(l, spec, ba, cfg);
}

static void
close_one(struct listener *l)
{
	if (l->fd >= 0)
		kinds[l->kind].close(l);
	l->fd = -1;
}

static void
fd_close(struct listener *l)
{
	close(l->fd);
}

/*
 * What TCP and UDP sockets have in common: socket() of the type (non-
 * blocking), SO_REUSEADDR if asked, SO_REUSEPORT if l wants it,
 * IPV6_V6ONLY, and bind().  Returns the socket, or -1 with errno and
 * *step naming the call that failed.
 */
static int
bind_ip(const struct listener *l, const struct bind_addr *ba, int type,
    bool reuse_addr, const char **step)
{
	int fd, err;

	*step = "socket";
	fd = socket(ba->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	*step = "setsockopt SO_REUSEADDR";
	if (reuse_addr && set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
		goto fail;
	*step = "setsockopt SO_REUSEPORT";
	if (l->reuse_port &&
	    set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0)
		goto fail;
	*step = "setsockopt IPV6_V6ONLY";
	if (ba->sa.ss_family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, ba->v6only) != 0)
		goto fail;
	*step = "bind";
	if (bind(fd, (const struct sockaddr *)&ba->sa, ba->len) != 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* l->at: ba as bound, the port the kernel chose included. */
static int
bound_name(struct listener *l, int fd, const struct bind_addr *ba)
{
	l->at = *ba;
	l->at.len = sizeof(l->at.sa);
	return getsockname(fd, (struct sockaddr *)&l->at.sa, &l->at.len);
}

/* Says why ba could not be opened at step, closes fd; -1, errno kept. */
static int
open_failed(const char *spec, const struct bind_addr *ba, const char *step,
    int fd)
{
	char want[ADDR_STRLEN];
	int err = errno;

	bind_addr_format(ba, want, sizeof(want));
	log_error("cannot listen on %s (listen = %s): %s: %s", want, spec,
	    step, strerror(err));
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

/*
 * TCP: socket(), bind(), listen(); the accept loop takes it from there.
 * Non-blocking, so that the accept loop drains it and never blocks.
 * SO_REUSEADDR, so that a restart can bind while old connections linger
 * in TIME_WAIT.
 */
static int
tcp_open(struct listener *l, const char *spec, const struct bind_addr *ba,
    const struct config *cfg)
{
	const char *step;
	int fd;

	(void)cfg;
	if ((fd = bind_ip(l, ba, SOCK_STREAM, true, &step)) < 0)
		return open_failed(spec, ba, step, -1);
	step = "listen";
	if (listen(fd, (int)l->backlog) != 0)
		return open_failed(spec, ba, step, fd);
	step = "getsockname";
	if (bound_name(l, fd, ba) != 0)
		return open_failed(spec, ba, step, fd);
	l->fd = fd;
	return 0;
}

/* listen() again on a listening socket updates its backlog. */
static void
tcp_retune(struct listener *l, const struct config *cfg)
{
	if (listen(l->fd, (int)cfg->backlog) != 0)
		log_warning("%s: cannot update backlog: %s", l->addr,
		    strerror(errno));
}

/*
 * UDP: socket(), bind(), and a thread of its own that echoes each
 * datagram (udp.c).  No SO_REUSEADDR: for UDP it would let another
 * socket bind the same address and port, and take datagrams meant for
 * this one.
 */
static int
udp_open(struct listener *l, const char *spec, const struct bind_addr *ba,
    const struct config *cfg)
{
	char name[ADDR_STRLEN];
	const char *step;
	int fd;

	if ((fd = bind_ip(l, ba, SOCK_DGRAM, false, &step)) < 0)
		return open_failed(spec, ba, step, -1);
	step = "setsockopt IP_PKTINFO";
	if (udp_want_destination(fd, ba->sa.ss_family) != 0)
		return open_failed(spec, ba, step, fd);
	step = "getsockname";
	if (bound_name(l, fd, ba) != 0)
		return open_failed(spec, ba, step, fd);
	bind_addr_format(&l->at, name, sizeof(name));
	if ((l->udp = udp_start(fd, name, cfg)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	l->fd = fd;
	return 0;
}

/* A datagram socket from the service manager (ListenDatagram=). */
static int
udp_adopt(struct listener *l, const struct config *cfg)
{
	l->at.kind = TRANSPORT_UDP;
	bind_addr_format(&l->at, l->addr, sizeof(l->addr));
	if (udp_want_destination(l->fd, l->at.sa.ss_family) != 0) {
		log_error("LISTEN_FDS: %s: setsockopt IP_PKTINFO: %s",
		    l->addr, strerror(errno));
		return -1;
	}
	return (l->udp = udp_start(l->fd, l->addr, cfg)) != NULL ? 0 : -1;
}

static void
udp_retune_hook(struct listener *l, const struct config *cfg)
{
	udp_retune(l->udp, cfg);
}

/* The thread first, so that none uses the descriptor once closed. */
static void
udp_close(struct listener *l)
{
	udp_stop(l->udp);
	l->udp = NULL;
	close(l->fd);
}

/* Appends a socket to ls; the caller still owns fd on failure. */
/* Appends a copy of l, with its own copy of spec (l->spec is ignored). */
static int
push(struct listeners *ls, const struct listener *l, const char *spec)
{
	struct listener *v;

	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (v == NULL)
		goto nomem;
	ls->v = v;
	v[ls->n] = *l;
	if ((v[ls->n].spec = strdup(spec)) == NULL)
		goto nomem;
	ls->n++;
	return 0;
nomem:
	log_error("out of memory for listen = %s", spec);
	return -1;
}

static void
free_all(struct listeners *ls, bool close_fds)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (close_fds)
			close_one(&ls->v[i]);
		free(ls->v[i].spec);
	}
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
}

/* How many times spec appears in cfg before index i. */
static unsigned
repeat_of(const struct config *cfg, size_t i)
{
	unsigned nth = 0;
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(cfg->listen[j], cfg->listen[i]) == 0)
			nth++;
	return nth;
}

/*
 * A reload's plan: one entry for each socket the new listen values mean,
 * in their order.  An entry either keeps a running socket (old >= 0) or
 * is opened; one that overlaps a running socket about to go is opened
 * only after that socket is closed (late).
 */
struct want {
	const char *spec;
	unsigned nth;
	struct bind_addr addr;	/* its kind is the socket's */
	long old;		/* index into the running set, or -1 */
	bool late;
	struct listener opened;	/* opened here (fd >= 0), or not */
};

struct plan {
	struct want *v;
	size_t n;
	bool *claimed;		/* running socket kept (per old index) */
	bool *closed;		/* running socket closed early (late) */
};

/*
 * Adds an entry for each socket listen value i means, as resolved when
 * cfg was loaded: nothing is looked up here.  -1 (logged) on failure.
 */
static int
plan_spec(struct plan *pl, const struct config *cfg, size_t i)
{
	const struct listen_addrs *a = &cfg->addrs[i];
	const char *spec = cfg->listen[i];
	unsigned nth = repeat_of(cfg, i);
	struct want *grown;
	size_t k;

	if (a->error != NULL) {
		log_error("cannot listen on %s: %s", spec, a->error);
		return -1;
	}
	grown = realloc(pl->v, (pl->n + a->n) * sizeof(*grown));
	if (grown == NULL) {
		log_error("out of memory for listen = %s", spec);
		return -1;
	}
	pl->v = grown;
	for (k = 0; k < a->n; k++)
		pl->v[pl->n++] = (struct want){ .spec = spec, .nth = nth,
		    .addr = a->v[k], .old = -1, .opened = { .fd = -1 } };
	return 0;
}

static unsigned short
port_of(const struct bind_addr *ba)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ba->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ba->sa;

	return ntohs(ba->sa.ss_family == AF_INET ? sin->sin_port :
	    sin6->sin6_port);
}

/* A fixed port, or a Unix socket's path: the address alone names it. */
static bool
fixed(const struct bind_addr *ba)
{
	return ba->sa.ss_family == AF_UNIX || port_of(ba) != 0;
}

/*
 * Whether entry w may keep running socket l.  A fixed port is the same
 * socket when the address it is bound to is the same, whatever the text
 * ("7" and "*:7"); port 0 keeps the socket of the same value and repeat,
 * so that the port the kernel chose survives.
 */
static bool
can_keep(const struct want *w, const struct listener *l)
{
	if (w->addr.kind != l->kind)
		return false;
	if (fixed(&w->addr))
		return bind_addr_same(&w->addr, &l->at);
	return strcmp(w->spec, l->spec) == 0 && w->nth == l->nth &&
	    bind_addr_same_host(&w->addr, &l->at);
}

/* Whether w and l would take the same address (sockets of one kind). */
static bool
overlaps(const struct want *w, const struct listener *l)
{
	return w->addr.kind == l->kind && bind_addr_overlap(&w->addr, &l->at);
}

/*
 * Matches entries with running sockets, fixed ports first: they may take
 * over a socket a port 0 value had opened.  Then marks late the entries
 * that overlap a socket about to go.
 */
static void
plan_keep(struct plan *pl, const struct listeners *old)
{
	struct want *w;
	size_t i, j;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < pl->n; i++) {
			w = &pl->v[i];
			if (!fixed(&w->addr) != (pass == 1))
				continue;
			for (j = 0; j < old->n && w->old < 0; j++)
				if (!pl->claimed[j] &&
				    can_keep(w, &old->v[j])) {
					w->old = (long)j;
					pl->claimed[j] = true;
				}
		}
	for (i = 0; i < pl->n; i++)
		for (j = 0; j < old->n && pl->v[i].old < 0; j++)
			if (!pl->claimed[j] && overlaps(&pl->v[i], &old->v[j]))
				pl->v[i].late = true;
}

/* Opens the entries to be opened now (late or not); -1 on a failure. */
static int
plan_open(struct plan *pl, bool late, const struct config *cfg)
{
	struct want *w;
	size_t i;

	for (i = 0; i < pl->n; i++) {
		w = &pl->v[i];
		if (w->old >= 0 || w->late != late)
			continue;
		w->opened.reuse_port = cfg->reuse_port;
		w->opened.backlog = cfg->backlog;
		if (open_one(&w->opened, w->spec, &w->addr, cfg) != 0)
			return -1;
	}
	return 0;
}

/* Closes the running sockets that late entries overlap. */
static void
close_early(struct plan *pl, struct listeners *old)
{
	size_t i, j;

	for (j = 0; j < old->n; j++)
		for (i = 0; i < pl->n && !pl->claimed[j] && !pl->closed[j];
		    i++)
			if (pl->v[i].late && overlaps(&pl->v[i], &old->v[j])) {
				close_one(&old->v[j]);
				pl->closed[j] = true;
			}
}

/*
 * After a failed reload: opens again the running sockets close_early()
 * closed, on the very address and port they had.  One that cannot be
 * opened (another process took its port meanwhile) is lost, and said so.
 */
static void
restore_early(struct plan *pl, struct listeners *old,
    const struct config *cfg)
{
	struct listener *l;
	struct bind_addr at;
	size_t j, k;

	for (j = 0; j < old->n; j++) {
		if (!pl->closed[j])
			continue;
		l = &old->v[j];
		at = l->at;
		if (open_one(l, l->spec, &at, cfg) != 0)
			log_error("no longer listening on %s: it could not be "
			    "opened again after the failed reload", l->addr);
	}
	for (j = k = 0; j < old->n; j++) {
		if (old->v[j].fd >= 0)
			old->v[k++] = old->v[j];
		else
			free(old->v[j].spec);
	}
	old->n = k;
}

static void
plan_free(struct plan *pl)
{
	free(pl->v);
	free(pl->claimed);
	free(pl->closed);
}

/* The new running set, in the order of the plan. */
static int
plan_commit(struct plan *pl, struct listeners *ls, const struct config *cfg)
{
	struct listeners next = { NULL, 0 };
	struct listener l;
	struct want *w;
	size_t i;

	for (i = 0; i < pl->n; i++) {
		w = &pl->v[i];
		if (w->old >= 0)
			l = ls->v[w->old];
		else {
			l = w->opened;
			bind_addr_format(&l.at, l.addr, sizeof(l.addr));
		}
		l.nth = w->nth;
		l.reuse_port = w->old >= 0 ? l.reuse_port : cfg->reuse_port;
		l.backlog = cfg->backlog;
		if (push(&next, &l, w->spec) != 0) {
			free_all(&next, false);
			return -1;
		}
	}
	for (i = 0; i < pl->n; i++) {
		w = &pl->v[i];
		if (w->old < 0)
			log_info("listening on %s", next.v[i].addr);
		else if (kinds[next.v[i].kind].retune != NULL)
			kinds[next.v[i].kind].retune(&next.v[i], cfg);
	}
	for (i = 0; i < ls->n; i++)
		if (!pl->claimed[i]) {
			log_info("no longer listening on %s", ls->v[i].addr);
			close_one(&ls->v[i]);
		}
	free_all(ls, false);
	*ls = next;
	return 0;
}

int
listeners_update(struct listeners *ls, const struct config *cfg)
{
	struct plan pl = { NULL, 0, NULL, NULL };
	size_t i, n = ls->n > 0 ? ls->n : 1;
	int rc = -1;

	pl.claimed = calloc(n, sizeof(*pl.claimed));
	pl.closed = calloc(n, sizeof(*pl.closed));
	if (pl.claimed == NULL || pl.closed == NULL) {
		log_error("out of memory for the listen addresses");
		goto out;
	}
	for (i = 0; i < cfg->n_listen; i++)
		if (plan_spec(&pl, cfg, i) != 0)
			goto out;
	plan_keep(&pl, ls);
	/*
	 * New sockets first, while the old ones still serve; then those
	 * that need an old one gone.  Any failure undoes it all.
	 */
	if (plan_open(&pl, false, cfg) != 0)
		goto undo;
	close_early(&pl, ls);
	if (plan_open(&pl, true, cfg) != 0 || plan_commit(&pl, ls, cfg) != 0)
		goto undo;
	rc = 0;
	goto out;
undo:
	for (i = 0; i < pl.n; i++)
		close_one(&pl.v[i].opened);
	restore_early(&pl, ls, cfg);
out:
	plan_free(&pl);
	return rc;
}

/* The first socket passed by the service manager (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3

/* The kind of socket of that type and address family, or -1. */
static int
kind_of(int type, int family)
{
	size_t i, f;

	for (i = 0; i < NKINDS; i++)
		for (f = 0; kinds[i].open != NULL &&
		    kinds[i].families[f] != 0; f++)
			if (kinds[i].type == type &&
			    kinds[i].families[f] == family)
				return (int)i;
	return -1;
}

/* The kinds' names for a message: "TCP", "TCP or ...", "TCP, ... or ...". */
static void
kind_names(char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < NKINDS && off < len; i++) {
		if (kinds[i].open == NULL)
			continue;
		n = snprintf(buf + off, len - off, "%s%s", i == 0 ? "" :
		    i + 1 == NKINDS ? " or " : ", ", kinds[i].name);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

/*
 * Checks that fd is a listening socket of a known kind, which it sets,
 * and makes it non-blocking.
 */
static int
check_inherited(int fd, struct listener *l)
{
	struct sockaddr_storage *ss = &l->at.sa;
	socklen_t len = sizeof(int);
	int type = 0, listening = 0, flags, v6only = 0, kind = -1;
	char names[64];

	kind_names(names, sizeof(names));
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
		log_error("LISTEN_FDS: descriptor %d is not a listening %s "
		    "socket: %s", fd, names, strerror(errno));
		return -1;
	}
	len = sizeof(int);
	if (getsockname(fd, (struct sockaddr *)ss, &l->at.len) != 0 ||
	    (kind = kind_of(type, ss->ss_family)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
	    !listening != !kinds[kind].accepts) {
		log_error("LISTEN_FDS: descriptor %d is not a listening %s "
		    "socket", fd, names);
		return -1;
	}
	l->kind = (enum transport)kind;
	l->at.kind = l->kind;
	len = sizeof(v6only);
	if (ss->ss_family == AF_INET6)
		getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
	l->at.v6only = v6only != 0;
	addr_format((struct sockaddr *)ss, l->at.len, l->addr,
	    sizeof(l->addr));
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		log_error("LISTEN_FDS: descriptor %d: fcntl: %s", fd,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The i-th colon-separated name in LISTEN_FDNAMES, or "fd N". */
static void
inherited_name(const char *names, unsigned i, int fd, char *buf, size_t len)
{
	size_t n;

	while (names != NULL && i-- > 0)
		if ((names = strchr(names, ':')) != NULL)
			names++;
	if (names == NULL || (n = strcspn(names, ":")) == 0) {
		snprintf(buf, len, "fd %d", fd);
		return;
	}
	snprintf(buf, len, "%.*s", (int)n, names);
}

int
listeners_inherit(struct listeners *ls, const struct config *cfg)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long long n, owner;
	char why[128], name[64], spec[80];
	struct listener l;
	unsigned i;
	int fd;

	if (fds == NULL)
		return 0;
	if (pid != NULL && (parse_uint(pid, 1, ~0ULL, &owner, why,
	    sizeof(why)) != 0 || owner != (unsigned long long)getpid())) {
		log_debug("LISTEN_FDS is meant for another process");
		return 0;
	}
	if (parse_uint(fds, 0, 1024, &n, why, sizeof(why)) != 0) {
		log_error("LISTEN_FDS: %s", why);
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = LISTEN_FDS_START + (int)i;
		memset(&l, 0, sizeof(l));
		l.fd = fd;
		l.at.len = sizeof(l.at.sa);
		if (check_inherited(fd, &l) != 0)
			goto fail;
		inherited_name(names, i, fd, name, sizeof(name));
		snprintf(spec, sizeof(spec), "inherited %s", name);
		l.backlog = cfg->backlog;
		if (kinds[l.kind].adopt != NULL &&
		    kinds[l.kind].adopt(&l, cfg) != 0)
			goto fail;
		if (push(ls, &l, spec) != 0) {
			close_one(&l);
			goto fail;
		}
		log_info("listening on %s (socket '%s' from the service "
		    "manager)", l.addr, name);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
fail:
	/* Stops what was adopted: echod does not start without them. */
	free_all(ls, true);
	return -1;
}

void
listeners_retune(struct listeners *ls, const struct config *cfg)
{
	const struct kind *k;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		k = &kinds[ls->v[i].kind];
		if (!k->accepts && k->retune != NULL)
			k->retune(&ls->v[i], cfg);
	}
}

void
listeners_close(struct listeners *ls)
{
	free_all(ls, true);
}
