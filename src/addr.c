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
#include <unistd.h>

#include "log.h"
#include "units.h"

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

int
addr_parse(const char *spec, struct listen_spec *out, char *why,
    size_t whylen)
{
	const char *colon, *close;
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	if (*spec == '\0')
		return value_error(why, whylen, spec, "is empty (HOST:PORT)");
	if (spec[0] == '[') {
		close = strchr(spec, ']');
		if (close == NULL)
			return value_error(why, whylen, spec, "lacks a closing ']'");
		if (close[1] != ':')
			return value_error(why, whylen, spec,
			    "needs ':PORT' after ']'");
		hostlen = (size_t)(close - spec - 1);
		if (hostlen == 0 || hostlen >= sizeof(out->host))
			return value_error(why, whylen, spec,
			    "has a bad IPv6 address");
		memcpy(out->host, spec + 1, hostlen);
		if (strchr(out->host, ':') == NULL ||
		    !host_chars_ok(out->host, true))
			return value_error(why, whylen, spec,
			    "has brackets around something not IPv6");
		out->bracketed = 1;
		return parse_port(spec, close + 2, &out->port, why, whylen);
	}
	colon = strrchr(spec, ':');
	if (colon == NULL)	/* a bare port means every address */
		return parse_port(spec, spec, &out->port, why, whylen);
	if (strchr(spec, ':') != colon)
		return value_error(why, whylen, spec,
		    "is ambiguous: write IPv6 addresses in brackets, "
		    "as [::1]:7");
	hostlen = (size_t)(colon - spec);
	if (hostlen == 0)
		return value_error(why, whylen, spec,
		    "has no host (use *:PORT for every address)");
	if (hostlen >= sizeof(out->host))
		return value_error(why, whylen, spec, "has a host name too long");
	if (!(hostlen == 1 && spec[0] == '*'))
		memcpy(out->host, spec, hostlen);
	if (!host_chars_ok(out->host, false))
		return value_error(why, whylen, spec, "has a bad host name");
	return parse_port(spec, colon + 1, &out->port, why, whylen);
}

/* "*:PORT": [::] dual-stack, or 0.0.0.0 where the kernel has no IPv6. */
static int
resolve_any(unsigned short port, struct bind_addr **out, size_t *n,
    char *why, size_t whylen)
{
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct bind_addr *ba;
	int fd;

	if ((ba = calloc(1, sizeof(*ba))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 || errno != EAFNOSUPPORT) {
		if (fd >= 0)
			close(fd);
		sin6 = (struct sockaddr_in6 *)&ba->sa;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_any;
		ba->len = sizeof(*sin6);
	} else {
		sin = (struct sockaddr_in *)&ba->sa;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		ba->len = sizeof(*sin);
	}
	*out = ba;
	*n = 1;
	return 0;
}

int
addr_resolve(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	    .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct bind_addr *v, cand;
	char port[8];
	size_t count = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (ls->host[0] == '\0')
		return resolve_any(ls->port, out, n, why, whylen);
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

	x = addr_bytes(b, &len, &port, &scope);
	return is_any(x, len);
}

bool
bind_addr_same_host(const struct bind_addr *a, const struct bind_addr *b)
{
	const unsigned char *x, *y;
	unsigned px, py, sx, sy;
	size_t lx, ly;

	if (a->sa.ss_family != b->sa.ss_family || a->v6only != b->v6only)
		return false;
	x = addr_bytes(a, &lx, &px, &sx);
	y = addr_bytes(b, &ly, &py, &sy);
	return lx == ly && sx == sy && memcmp(x, y, lx) == 0;
}

bool
bind_addr_same(const struct bind_addr *a, const struct bind_addr *b)
{
	size_t len;
	unsigned pa, pb, scope;

	addr_bytes(a, &len, &pa, &scope);
	addr_bytes(b, &len, &pb, &scope);
	return pa == pb && bind_addr_same_host(a, b);
}

bool
bind_addr_overlap(const struct bind_addr *a, const struct bind_addr *b)
{
	const unsigned char *x, *y;
	unsigned px, py, sx, sy;
	size_t lx, ly;

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
	} else
		snprintf(buf, len, "(address family %d)", sa->sa_family);
}
