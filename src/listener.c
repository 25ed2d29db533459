/*
 * Listening sockets.  Each listen value ("HOST:PORT") becomes one socket
 * per address it resolves to; "*:PORT" is a single dual-stack IPv6 socket
 * (or IPv4 where the kernel has no IPv6).  The sockets are non-blocking
 * so that the accept loop can drain them without ever blocking in accept().
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "units.h"

static int
set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* socket(), bind(), listen() for one address; returns the fd or -1. */
static int
open_one(const char *spec, const struct sockaddr *sa, socklen_t salen,
    bool v6only, const struct config *cfg, char *bound, size_t boundlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char want[ADDR_STRLEN];
	const char *step;
	int fd;

	addr_format(sa, salen, want, sizeof(want));
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		step = "socket";
		goto fail;
	}
	step = "setsockopt SO_REUSEADDR";
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
		goto fail;
	step = "setsockopt SO_REUSEPORT";
	if (cfg->reuse_port &&
	    set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0)
		goto fail;
	step = "setsockopt IPV6_V6ONLY";
	if (sa->sa_family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) != 0)
		goto fail;
	step = "bind";
	if (bind(fd, sa, salen) != 0)
		goto fail;
	step = "listen";
	if (listen(fd, (int)cfg->backlog) != 0)
		goto fail;
	step = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
		goto fail;
	addr_format((struct sockaddr *)&ss, sslen, bound, boundlen);
	return fd;
fail:
	log_error("cannot listen on %s (listen = %s): %s: %s", want, spec,
	    step, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Appends a socket to ls; the caller still owns fd on failure. */
static int
push(struct listeners *ls, int fd, const char *spec, unsigned nth,
    const char *bound)
{
	struct listener *v;

	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (v == NULL)
		goto nomem;
	ls->v = v;
	if ((v[ls->n].spec = strdup(spec)) == NULL)
		goto nomem;
	v[ls->n].fd = fd;
	v[ls->n].nth = nth;
	snprintf(v[ls->n].addr, sizeof(v[ls->n].addr), "%s", bound);
	ls->n++;
	return 0;
nomem:
	log_error("out of memory for listen = %s", spec);
	return -1;
}

/* Appends a socket opened here, closing it if it cannot be kept. */
static int
push_new(struct listeners *ls, int fd, const char *spec, unsigned nth,
    const char *bound)
{
	if (fd < 0)
		return -1;
	if (push(ls, fd, spec, nth, bound) != 0) {
		close(fd);
		return -1;
	}
	return 0;
}

/* "*:PORT": one dual-stack socket, or IPv4 alone without IPv6. */
static int
open_wildcard(struct listeners *ls, const char *spec, unsigned nth,
    unsigned short port, const struct config *cfg)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	char bound[ADDR_STRLEN];
	int fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		fd = open_one(spec, (struct sockaddr *)&sin6, sizeof(sin6),
		    false, cfg, bound, sizeof(bound));
	} else if (errno == EAFNOSUPPORT) {
		fd = open_one(spec, (struct sockaddr *)&sin, sizeof(sin),
		    false, cfg, bound, sizeof(bound));
	} else
		log_error("cannot listen on %s: socket: %s", spec,
		    strerror(errno));
	return push_new(ls, fd, spec, nth, bound);
}

/* Opens every address spec resolves to and appends them to ls. */
static int
open_spec(struct listeners *ls, const char *spec, unsigned nth,
    const struct config *cfg)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	    .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct listen_spec lsp;
	char why[256], port[8], bound[ADDR_STRLEN];
	int fd, r;

	if (addr_parse(spec, &lsp, why, sizeof(why)) != 0) {
		log_error("listen: %s", why);
		return -1;
	}
	if (lsp.host[0] == '\0')
		return open_wildcard(ls, spec, nth, lsp.port, cfg);
	snprintf(port, sizeof(port), "%u", lsp.port);
	if (lsp.bracketed)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((r = getaddrinfo(lsp.host, port, &hints, &res)) != 0) {
		log_error("cannot listen on %s: %s", spec, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* An explicit IPv6 address means IPv6 only. */
		fd = open_one(spec, ai->ai_addr, ai->ai_addrlen, true, cfg,
		    bound, sizeof(bound));
		if (push_new(ls, fd, spec, nth, bound) != 0) {
			freeaddrinfo(res);
			return -1;
		}
	}
	freeaddrinfo(res);
	return 0;
}

static bool
has_fd(const struct listeners *ls, int fd)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].fd == fd)
			return true;
	return false;
}

/* Copies the old sockets for spec into next: 1 if any, 0 if none, -1. */
static int
keep_spec(const struct listeners *old, struct listeners *next,
    const char *spec, unsigned nth)
{
	int found = 0;
	size_t i;

	for (i = 0; i < old->n; i++) {
		if (strcmp(old->v[i].spec, spec) != 0 || old->v[i].nth != nth)
			continue;
		if (push(next, old->v[i].fd, spec, nth, old->v[i].addr) != 0)
			return -1;
		found = 1;
	}
	return found;
}

static void
free_all(struct listeners *ls, bool close_fds)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (close_fds)
			close(ls->v[i].fd);
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

int
listeners_update(struct listeners *ls, const struct config *cfg)
{
	struct listeners next = { NULL, 0 };
	size_t i, first;
	unsigned nth;
	int r;

	for (i = 0; i < cfg->n_listen; i++) {
		nth = repeat_of(cfg, i);
		if ((r = keep_spec(ls, &next, cfg->listen[i], nth)) < 0)
			goto undo;
		if (r > 0)
			continue;
		first = next.n;
		if (open_spec(&next, cfg->listen[i], nth, cfg) != 0)
			goto undo;
		for (; first < next.n; first++)
			log_info("listening on %s", next.v[first].addr);
	}
	for (i = 0; i < ls->n; i++)
		if (!has_fd(&next, ls->v[i].fd)) {
			log_info("no longer listening on %s", ls->v[i].addr);
			close(ls->v[i].fd);
		}
	/* listen() again on a listening socket updates its backlog. */
	for (i = 0; i < next.n; i++)
		if (has_fd(ls, next.v[i].fd) &&
		    listen(next.v[i].fd, (int)cfg->backlog) != 0)
			log_warning("%s: cannot update backlog: %s",
			    next.v[i].addr, strerror(errno));
	free_all(ls, false);
	*ls = next;
	return 0;
undo:
	/* Close only what was opened here; the running set stays whole. */
	for (i = 0; i < next.n; i++)
		if (!has_fd(ls, next.v[i].fd))
			close(next.v[i].fd);
	free_all(&next, false);
	return -1;
}

/* The first socket passed by the service manager (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3

/* Checks that fd is a listening TCP socket and makes it non-blocking. */
static int
check_inherited(int fd, char *bound, size_t boundlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int), sslen = sizeof(ss);
	int type = 0, listening = 0, flags;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
		log_error("LISTEN_FDS: descriptor %d is not a listening TCP "
		    "socket: %s", fd, strerror(errno));
		return -1;
	}
	len = sizeof(int);
	if (type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
	    !listening ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		log_error("LISTEN_FDS: descriptor %d is not a listening TCP "
		    "socket", fd);
		return -1;
	}
	addr_format((struct sockaddr *)&ss, sslen, bound, boundlen);
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
listeners_inherit(struct listeners *ls)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long long n, owner;
	char why[128], bound[ADDR_STRLEN], name[64], spec[80];
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
		if (check_inherited(fd, bound, sizeof(bound)) != 0)
			goto fail;
		inherited_name(names, i, fd, name, sizeof(name));
		snprintf(spec, sizeof(spec), "inherited %s", name);
		if (push(ls, fd, spec, 0, bound) != 0)
			goto fail;
		log_info("listening on %s (socket '%s' from the service "
		    "manager)", bound, name);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
fail:
	free_all(ls, false);
	return -1;
}

void
listeners_close(struct listeners *ls)
{
	free_all(ls, true);
}
