/* CIDR parsing and matching for [access] allow and deny. */
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "units.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* True when no bit past prefix is set. */
static bool
host_bits_clear(const unsigned char a[16], unsigned prefix)
{
	unsigned i;

	for (i = prefix; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

int
cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 1], reason[128];
	const char *slash = strchr(s, '/');
	unsigned long long prefix;
	struct in_addr a4;
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	bool v4;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(host))
		return value_error(why, whylen, s, "is not an address or CIDR block");
	memcpy(host, s, len);
	host[len] = '\0';
	if ((v4 = inet_pton(AF_INET, host, &a4) == 1)) {
		memcpy(out->addr, v4mapped, 12);
		memcpy(out->addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, host, out->addr) != 1)
		return value_error(why, whylen, s, "is not an IPv4 or IPv6 address");
	prefix = v4 ? 32 : 128;
	if (slash != NULL && parse_uint(slash + 1, 0, v4 ? 32 : 128, &prefix,
	    reason, sizeof(reason)) != 0)
		return value_error(why, whylen, s, v4 ?
		    "has a bad prefix length (0 to 32)" :
		    "has a bad prefix length (0 to 128)");
	out->prefix = (unsigned)prefix + (v4 ? 96 : 0);
	if (!host_bits_clear(out->addr, out->prefix))
		return value_error(why, whylen, s,
		    "has bits set past its prefix length");
	return 0;
}

bool
cidr_key(const struct sockaddr *sa, unsigned char key[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(key, v4mapped, 12);
		memcpy(key + 12, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

bool
cidr_key_is_v4(const unsigned char key[16])
{
	return memcmp(key, v4mapped, sizeof(v4mapped)) == 0;
}

bool
cidr_match(const struct cidr *c, const unsigned char key[16])
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	unsigned char mask;

	/* An IPv6 block as wide as ::/0 is about IPv6 peers, not IPv4 ones. */
	if (c->prefix < 96 && cidr_key_is_v4(key))
		return false;
	if (memcmp(c->addr, key, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (key[full] & mask);
}

void
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (c->prefix >= 96 && cidr_key_is_v4(c->addr)) {
		inet_ntop(AF_INET, c->addr + 12, host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, c->prefix - 96);
	} else {
		inet_ntop(AF_INET6, c->addr, host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, c->prefix);
	}
}

bool
acl_allows(const struct cidr *allow, size_t nallow, const struct cidr *deny,
    size_t ndeny, const unsigned char key[16])
{
	size_t i;

	for (i = 0; i < ndeny; i++)
		if (cidr_match(&deny[i], key))
			return false;
	if (nallow == 0)
		return true;
	for (i = 0; i < nallow; i++)
		if (cidr_match(&allow[i], key))
			return true;
	return false;
}
