/* Listen specifications and address formatting. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "units.h"

_Static_assert(ADDR_STRLEN >= sizeof("unix:") + ADDR_PATH_MAX,
    "ADDR_STRLEN holds unix:/PATH");
_Static_assert(ADDR_STRLEN >= sizeof("unix:pid=-2147483648,uid=4294967295,"
    "gid=4294967295"), "ADDR_STRLEN holds a Unix peer's credentials");

static int
parse_port(const char *spec, const char *s, unsigned short *port,
    char *why, size_t whylen)
{
	unsigned long long v;
	char reason[128];

	if (*s == '\0')
		return value_error(why, whylen, spec, "has no port (HOST:PORT)");
	if (parse_uint(s, 0, 65535, &v, reason, sizeof(reason)) != 0)
		return value_error(why, whylen, spec,
		    "has a bad port (a number from 0 to 65535)");
	*port = (unsigned short)v;
	return 0;
}

/* Host names are letters, digits, '-', '_' and '.'; IPv6 adds ':', '%'. */
static bool
host_chars_ok(const char *host, bool ipv6)
{
	const char *p;

	for (p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("-_.", *p) == NULL &&
		    !(ipv6 && (*p == ':' || *p == '%')))
			return false;
	return true;
}

/* "HOST:PORT", "[V6ADDR]:PORT", "*:PORT" or "PORT" in s; spec for messages. */
static int
parse_inet(const char *spec, const char *s, struct listen_spec *out,
    char *why, size_t whylen)
{
	const char *colon, *close;
	size_t hostlen;

	if (s[0] == '[') {
		close = strchr(s, ']');
		if (close == NULL)
			return value_error(why, whylen, spec, "lacks a closing ']'");
		if (close[1] != ':')
			return value_error(why, whylen, spec,
			    "needs ':PORT' after ']'");
		hostlen = (size_t)(close - s - 1);
		if (hostlen == 0 || hostlen >= sizeof(out->host))
			return value_error(why, whylen, spec,
			    "has a bad IPv6 address");
		memcpy(out->host, s + 1, hostlen);
		if (strchr(out->host, ':') == NULL ||
		    !host_chars_ok(out->host, true))
			return value_error(why, whylen, spec,
			    "has brackets around something not IPv6");
		out->bracketed = 1;
		return parse_port(spec, close + 2, &out->port, why, whylen);
	}
	colon = strrchr(s, ':');
	if (colon == NULL)	/* a bare port means every address */
		return parse_port(spec, s, &out->port, why, whylen);
	if (strchr(s, ':') != colon)
		return value_error(why, whylen, spec,
		    "is ambiguous: write IPv6 addresses in brackets, "
		    "as [::1]:7");
	hostlen = (size_t)(colon - s);
	if (hostlen == 0)
		return value_error(why, whylen, spec,
		    "has no host (use *:PORT for every address)");
	if (hostlen >= sizeof(out->host))
		return value_error(why, whylen, spec, "has a host name too long");
	if (!(hostlen == 1 && s[0] == '*'))
		memcpy(out->host, s, hostlen);
	if (!host_chars_ok(out->host, false))
		return value_error(why, whylen, spec, "has a bad host name");
	return parse_port(spec, colon + 1, &out->port, why, whylen);
}

/* The last component of path: "." and ".." are directories. */
static bool
names_directory(const char *path, size_t len)
{
	const char *last = strrchr(path, '/') + 1;

	return path[len - 1] == '/' || strcmp(last, ".") == 0 ||
	    strcmp(last, "..") == 0;
}

/*
 * The path of "unix:PATH".  It must be absolute: echod runs with / as
 * its working directory under systemd, and a relative path would mean
 * something else to "echod -t" run from a shell.  Abstract sockets
 * ("@NAME") are refused: they have no file permissions, so any process
 * in the network namespace could connect, and no file shows they exist.
 * The path must read the same in logs and in the file (log_escape()
 * leaves it alone, no " ;" that would start a comment, no blank at the
 * end that the file would drop), so that what echod -T prints reads back.
 */
static int
parse_path(const char *spec, const char *path, struct listen_spec *out,
    char *why, size_t whylen)
{
	char esc[4 * ADDR_PATH_MAX + 4], msg[64];
	size_t len = strlen(path);

	if (len == 0)
		return value_error(why, whylen, spec,
		    "has no path (unix:/PATH)");
	if (path[0] == '@')
		return value_error(why, whylen, spec, "is an abstract socket, "
		    "which has no file permissions: use unix:/PATH");
	if (path[0] != '/')
		return value_error(why, whylen, spec, "has a relative path "
		    "(write unix:/PATH: the working directory is / under "
		    "systemd)");
	if (path[1] == '/' && path[2] != '/')
		return value_error(why, whylen, spec, "is ambiguous: "
		    "unix://NAME reads NAME as a host; write unix:/PATH");
	if (len > ADDR_PATH_MAX) {
		snprintf(msg, sizeof(msg), "has a path too long (at most %zu "
		    "bytes)", ADDR_PATH_MAX);
		return value_error(why, whylen, spec, msg);
	}
	log_escape(esc, sizeof(esc), path, len);
	if (strcmp(esc, path) != 0)
		return value_error(why, whylen, spec, "has a control, "
		    "invisible or invalid UTF-8 character or a '\\' in its "
		    "path");
	if (strstr(path, " ;") != NULL)
		return value_error(why, whylen, spec, "has ' ;' in its path, "
		    "which starts a comment in the configuration file");
	if (path[len - 1] == ' ')
		return value_error(why, whylen, spec, "has a path ending in a "
		    "blank, which the configuration file would drop");
	if (names_directory(path, len))
		return value_error(why, whylen, spec, "has a path that names "
		    "a directory (it ends in '/', '/.' or '/..')");
	memcpy(out->path, path, len + 1);
	return 0;
}

/* The transport spec[0..n) names, in any case, or -1. */
static int
scheme_kind(const char *spec, size_t n)
{
	const char *name;
	int k;

	for (k = TRANSPORT_TCP; k <= TRANSPORT_UNIX; k++) {
		name = transport_name((enum transport)k);
		if (strlen(name) == n && strncasecmp(spec, name, n) == 0)
			return k;
	}
	return -1;
}

/*
 * The length of the scheme name spec starts with, or 0.  A scheme is
 * "NAME:/" (NAME as in RFC 3986: a letter, then letters, digits, '+',
 * '-', '.'), which no HOST:PORT can be, or "tcp:", "udp:" or "unix:" in
 * any case: a host named so is not worth "udp:7" meaning TCP.
 */
static size_t
scheme_len(const char *spec)
{
	size_t n = 0;

	if (!isalpha((unsigned char)spec[0]))
		return 0;
	while (isalnum((unsigned char)spec[n]) ||
	    (spec[n] != '\0' && strchr("+-.", spec[n]) != NULL))
		n++;
	if (spec[n] != ':')
		return 0;
	return spec[n + 1] == '/' || scheme_kind(spec, n) >= 0 ? n : 0;
}

/*
 * "SCHEME:REST", the scheme n bytes long.  Schemes are lowercase only:
 * one spelling, like every other keyword of the file, keeps
 * configurations easy to search.
 */
static int
parse_scheme(const char *spec, size_t n, struct listen_spec *out,
    char *why, size_t whylen)
{
	const char *name, *rest = spec + n + 1;
	char msg[128];
	int k;

	if ((k = scheme_kind(spec, n)) < 0) {
		snprintf(msg, sizeof(msg), "has an unknown scheme '%.*s' "
		    "(tcp://, udp:// or unix:)", n > 16 ? 16 : (int)n, spec);
		return value_error(why, whylen, spec, msg);
	}
	out->kind = (enum transport)k;
	name = transport_name(out->kind);
	if (strncmp(spec, name, n) != 0) {
		snprintf(msg, sizeof(msg), "has its scheme in capitals: "
		    "write '%s:' (schemes are lowercase)", name);
		return value_error(why, whylen, spec, msg);
	}
	if (out->kind == TRANSPORT_UNIX)
		return parse_path(spec, rest, out, why, whylen);
	if (strncmp(rest, "//", 2) != 0) {
		snprintf(msg, sizeof(msg), "needs '//' after '%s:' "
		    "(%s://HOST:PORT)", name, name);
		return value_error(why, whylen, spec, msg);
	}
	if (scheme_len(rest + 2) > 0)
		return value_error(why, whylen, spec, "has a second scheme "
		    "after the first");
	return parse_inet(spec, rest + 2, out, why, whylen);
}

const char *
transport_name(enum transport kind)
{
	switch (kind) {
	case TRANSPORT_UDP:
		return "udp";
	case TRANSPORT_UNIX:
		return "unix";
	case TRANSPORT_TCP:
		break;
	}
	return "tcp";
}

int
addr_parse(const char *spec, struct listen_spec *out, char *why,
    size_t whylen)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (*spec == '\0')
		return value_error(why, whylen, spec, "is empty (HOST:PORT)");
	if ((n = scheme_len(spec)) > 0)
		return parse_scheme(spec, n, out, why, whylen);
	return parse_inet(spec, spec, out, why, whylen);
}

/* A one-socket answer in *out, zeroed but for kind; NULL out of memory. */
static struct bind_addr *
one_addr(enum transport kind, struct bind_addr **out, size_t *n, char *why,
    size_t whylen)
{
	struct bind_addr *ba;

	if ((ba = calloc(1, sizeof(*ba))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	ba->kind = kind;
	*out = ba;
	*n = 1;
	return ba;
}

/* "*:PORT": [::] dual-stack, or 0.0.0.0 where the kernel has no IPv6. */
static int
resolve_any(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen)
{
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct bind_addr *ba;
	int fd;

	if ((ba = one_addr(ls->kind, out, n, why, whylen)) == NULL)
		return -1;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 || errno != EAFNOSUPPORT) {
		if (fd >= 0)
			close(fd);
		sin6 = (struct sockaddr_in6 *)&ba->sa;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ls->port);
		sin6->sin6_addr = in6addr_any;
		ba->len = sizeof(*sin6);
	} else {
		sin = (struct sockaddr_in *)&ba->sa;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ls->port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		ba->len = sizeof(*sin);
	}
	return 0;
}

/*
 * Copies path to dst with "//" and "/./" made "/": the same file, and so
 * the same socket to the clash checks.  ".." stays, since a symbolic
 * link before it would make "/a/b/../c" another file than "/a/c".
 */
static void
clean_path(char *dst, const char *path)
{
	size_t o = 0;
	const char *p;

	for (p = path; *p != '\0'; p++) {
		if (*p == '/' && o > 0 && dst[o - 1] == '/')
			continue;
		if (*p == '.' && o > 0 && dst[o - 1] == '/' && p[1] == '/')
			continue;
		dst[o++] = *p;
	}
	dst[o] = '\0';
}

/* "unix:/PATH": one socket, nothing to look up. */
static int
resolve_unix(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen)
{
	struct sockaddr_un *sun;
	struct bind_addr *ba;

	if ((ba = one_addr(ls->kind, out, n, why, whylen)) == NULL)
		return -1;
	sun = (struct sockaddr_un *)&ba->sa;
	sun->sun_family = AF_UNIX;
	clean_path(sun->sun_path, ls->path);
	ba->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(sun->sun_path) + 1);
	return 0;
}

int
addr_resolve(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	    .ai_socktype = ls->kind == TRANSPORT_UDP ? SOCK_DGRAM :
	    SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct bind_addr *v, cand;
	char port[8];
	size_t count = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (ls->kind == TRANSPORT_UNIX)
		return resolve_unix(ls, out, n, why, whylen);
	if (ls->host[0] == '\0')
		return resolve_any(ls, out, n, why, whylen);
	snprintf(port, sizeof(port), "%u", ls->port);
	if (ls->bracketed)
		hints.ai_flags |= AI_NUMERICHOST;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	hints.ai_flags |= AI_NUMERICHOST;	/* no DNS from a fuzzer */
#endif
	if ((r = getaddrinfo(ls->host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s", r == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		count++;
	if ((v = calloc(count > 0 ? count : 1, sizeof(*v))) == NULL) {
		freeaddrinfo(res);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(cand.sa))
			continue;
		memset(&cand, 0, sizeof(cand));
		memcpy(&cand.sa, ai->ai_addr, ai->ai_addrlen);
		cand.len = ai->ai_addrlen;
		cand.kind = ls->kind;
		/* An explicit IPv6 address means IPv6 only. */
		cand.v6only = ai->ai_family == AF_INET6;
		for (i = 0; i < *n && !bind_addr_same(&v[i], &cand); i++)
			;
		if (i == *n)
			v[(*n)++] = cand;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		free(v);
		snprintf(why, whylen, "no IPv4 or IPv6 address");
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * The path of a Unix socket address and its length (without the NUL of
 * a path; an abstract name keeps its leading NUL); 0 for an unnamed one.
 */
static const char *
unix_path(const struct sockaddr_un *sun, socklen_t salen, size_t *len)
{
	size_t max = offsetof(struct sockaddr_un, sun_path);

	max = salen > max ? salen - max : 0;
	if (max > sizeof(sun->sun_path))
		max = sizeof(sun->sun_path);
	*len = max > 0 && sun->sun_path[0] != '\0' ?
	    strnlen(sun->sun_path, max) : max;
	return sun->sun_path;
}

static bool
same_path(const struct bind_addr *a, const struct bind_addr *b)
{
	const char *x, *y;
	size_t lx, ly;

	x = unix_path((const struct sockaddr_un *)&a->sa, a->len, &lx);
	y = unix_path((const struct sockaddr_un *)&b->sa, b->len, &ly);
	return lx == ly && memcmp(x, y, lx) == 0;
}

/* The address in network order (4 or 16 bytes), its port and scope. */
static const unsigned char *
addr_bytes(const struct bind_addr *b, size_t *len, unsigned *port,
    unsigned *scope)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&b->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&b->sa;

	if (b->sa.ss_family == AF_INET) {
		*len = 4;
		*port = ntohs(sin->sin_port);
		*scope = 0;
		return (const unsigned char *)&sin->sin_addr;
	}
	*len = 16;
	*port = ntohs(sin6->sin6_port);
	*scope = sin6->sin6_scope_id;
	return sin6->sin6_addr.s6_addr;
}

static bool
is_any(const unsigned char *a, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != 0)
			return false;
	return true;
}

bool
addr_is_any(const struct bind_addr *b)
{
	const unsigned char *x;
	unsigned port, scope;
	size_t len;

	if (b->sa.ss_family == AF_UNIX)
		return false;
	x = addr_bytes(b, &len, &port, &scope);
	return is_any(x, len);
}

bool
bind_addr_same_host(const struct bind_addr *a, const struct bind_addr *b)
{
	const unsigned char *x, *y;
	unsigned px, py, sx, sy;
	size_t lx, ly;

	if (a->kind != b->kind || a->sa.ss_family != b->sa.ss_family ||
	    a->v6only != b->v6only)
		return false;
	if (a->sa.ss_family == AF_UNIX)
		return same_path(a, b);
	x = addr_bytes(a, &lx, &px, &sx);
	y = addr_bytes(b, &ly, &py, &sy);
	return lx == ly && sx == sy && memcmp(x, y, lx) == 0;
}

bool
bind_addr_same(const struct bind_addr *a, const struct bind_addr *b)
{
	size_t len;
	unsigned pa, pb, scope;

	if (!bind_addr_same_host(a, b))
		return false;
	if (a->sa.ss_family == AF_UNIX)
		return true;
	addr_bytes(a, &len, &pa, &scope);
	addr_bytes(b, &len, &pb, &scope);
	return pa == pb;
}

bool
bind_addr_overlap(const struct bind_addr *a, const struct bind_addr *b)
{
	const unsigned char *x, *y;
	unsigned px, py, sx, sy;
	size_t lx, ly;

	/* TCP and UDP have ports of their own. */
	if (a->kind != b->kind)
		return false;
	if (a->sa.ss_family == AF_UNIX || b->sa.ss_family == AF_UNIX)
		return bind_addr_same_host(a, b);
	x = addr_bytes(a, &lx, &px, &sx);
	y = addr_bytes(b, &ly, &py, &sy);
	if (px != py || px == 0)
		return false;
	if (lx != ly) {
		/* IPv4 and IPv6 meet only on a dual-stack wildcard. */
		return (lx == 16 && !a->v6only && is_any(x, lx)) ||
		    (ly == 16 && !b->v6only && is_any(y, ly));
	}
	return is_any(x, lx) || is_any(y, ly) ||
	    (sx == sy && memcmp(x, y, lx) == 0);
}

/* "unix:/PATH", "unix:@NAME" (abstract) or "unix:(unnamed)", escaped. */
static void
format_unix(const struct sockaddr_un *sun, socklen_t salen, char *buf,
    size_t len)
{
	char esc[ADDR_STRLEN - sizeof("unix:@") + 1];
	const char *path;
	size_t plen;

	path = unix_path(sun, salen, &plen);
	if (plen == 0) {
		snprintf(buf, len, "unix:(unnamed)");
		return;
	}
	if (path[0] == '\0')
		log_escape(esc, sizeof(esc), path + 1, plen - 1);
	else
		log_escape(esc, sizeof(esc), path, plen);
	snprintf(buf, len, "unix:%s%s", path[0] == '\0' ? "@" : "", esc);
}

void
addr_format(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		/* Dual-stack sockets see IPv4 peers as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(buf, len, "%s:%u", host,
			    ntohs(sin6->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_UNIX)
		format_unix((const struct sockaddr_un *)sa, salen, buf, len);
	else
		snprintf(buf, len, "(address family %d)", sa->sa_family);
}

void
bind_addr_format(const struct bind_addr *b, char *buf, size_t len)
{
	char addr[ADDR_STRLEN];

	addr_format((const struct sockaddr *)&b->sa, b->len, addr,
	    sizeof(addr));
	snprintf(buf, len, "%s%s", b->kind == TRANSPORT_UDP ? "udp://" : "",
	    addr);
}

int
peer_identify(int fd, struct peer *p)
{
	socklen_t len = sizeof(p->cred);

	if (p->sa.ss_family != AF_UNIX)
		return 0;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &len);
}

void
peer_format(const struct peer *p, char *buf, size_t len)
{
	if (p->sa.ss_family == AF_UNIX)
		snprintf(buf, len, "unix:pid=%ld,uid=%lu,gid=%lu",
		    (long)p->cred.pid, (unsigned long)p->cred.uid,
		    (unsigned long)p->cred.gid);
	else
		addr_format((const struct sockaddr *)&p->sa, p->len, buf, len);
}
