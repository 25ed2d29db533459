/* Listen specifications and address formatting. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
