/*
 * The PROXY protocol header, versions 1 (a text line) and 2 (binary), read
 * strictly: anything the specification does not allow is refused, since
 * the header decides which address a client is taken to have.  Each call
 * parses buf from its start again; a header is at most PROXY_MAX bytes, so
 * that costs little and keeps the caller free of parser state.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#define STR_(x)	#x
#define STR(x)	STR_(x)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define V1_MAGIC	"PROXY"
#define V1_MAGIC_LEN	5
#define V2_SIG_LEN	12
#define V2_FIXED	16	/* signature, version and command, family, length */

/* v2's AF_UNIX address block: two sun_path arrays of Linux's size. */
#define V2_UNIX_PATH	108

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == V2_UNIX_PATH,
    "sun_path holds a v2 AF_UNIX address");
_Static_assert(sizeof(struct sockaddr_un) < sizeof(struct sockaddr_storage),
    "a NUL fits after a full sun_path in a sockaddr_storage");

static const unsigned char v2_sig[V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static enum proxy_status
bad(const char **why, const char *reason)
{
	*why = reason;
	return PROXY_BAD;
}

/* buf[0..len) is the start of (or starts with) magic[0..mlen). */
static bool
starts_like(const unsigned char *buf, size_t len, const void *magic,
    size_t mlen)
{
	return len == 0 || memcmp(buf, magic, len < mlen ? len : mlen) == 0;
}

/* --- version 1 ---------------------------------------------------------- */

/*
 * What may follow "PROXY": the early refusal of a line that cannot become
 * valid, without waiting for its CRLF.  "UNKNOWN" ends the fields or is
 * followed by anything (the receiver ignores it).
 */
static bool
v1_start_ok(const unsigned char *buf, size_t len)
{
	static const char *const starts[] = {
		"PROXY TCP4 ", "PROXY TCP6 ", "PROXY UNKNOWN ", "PROXY UNKNOWN\r",
	};
	size_t i;

	for (i = 0; i < NELEM(starts); i++)
		if (starts_like(buf, len, starts[i], strlen(starts[i])))
			return true;
	return false;
}

/* A port: decimal, 0 to 65535, no sign, no leading zero. */
static bool
v1_port(const char *s, size_t n, in_port_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = htons((uint16_t)v);
	return true;
}

/*
 * An address of the line's family, as inet_pton() reads it: dotted quads
 * without leading zeros for IPv4; for IPv6 hexadecimal groups, and the
 * "::ffff:1.2.3.4" form too, which inet_ntop() writes for a v4-mapped
 * client and so senders do send.
 */
static bool
v1_addr(int family, const char *s, size_t n, in_port_t port,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	/* A NUL would end the text early: "1.2.3.4\0junk". */
	if (n >= sizeof(text) || memchr(s, '\0', n) != NULL)
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	if (family == AF_INET) {
		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return false;
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		*sslen = sizeof(*sin);
	} else {
		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return false;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		*sslen = sizeof(*sin6);
	}
	return true;
}

/* Splits s[0..n) into exactly nf fields, each one space from the next. */
static const char *
v1_split(const char *s, size_t n, const char **f, size_t *flen, size_t nf)
{
	const char *end = s + n, *sp = NULL;
	size_t i;

	for (i = 0; i < nf; i++) {
		if (i > 0 && sp == NULL)
			return "v1 header lacks a field";
		sp = memchr(s, ' ', (size_t)(end - s));
		f[i] = s;
		flen[i] = (size_t)((sp != NULL ? sp : end) - s);
		if (flen[i] == 0)
			return "v1 fields are not one space apart";
		s = sp != NULL ? sp + 1 : end;
	}
	return sp != NULL ? "v1 header has more after the destination port" :
	    NULL;
}

/* "SRC DST SPORT DPORT" of a TCP4 or TCP6 line. */
static enum proxy_status
v1_fields(int family, const char *s, size_t n, struct proxy_hdr *out,
    const char **why)
{
	const char *f[4], *reason;
	size_t flen[4];
	in_port_t sport, dport;

	if ((reason = v1_split(s, n, f, flen, 4)) != NULL)
		return bad(why, reason);
	if (!v1_port(f[2], flen[2], &sport))
		return bad(why, "v1 source port is not 0 to 65535");
	if (!v1_port(f[3], flen[3], &dport))
		return bad(why, "v1 destination port is not 0 to 65535");
	if (!v1_addr(family, f[0], flen[0], sport, &out->src, &out->srclen))
		return bad(why, family == AF_INET ?
		    "v1 source is not an IPv4 address" :
		    "v1 source is not an IPv6 address");
	if (!v1_addr(family, f[1], flen[1], dport, &out->dst, &out->dstlen))
		return bad(why, family == AF_INET ?
		    "v1 destination is not an IPv4 address" :
		    "v1 destination is not an IPv6 address");
	out->family = family;
	out->socktype = SOCK_STREAM;
	out->addrs = true;
	return PROXY_OK;
}

static enum proxy_status
v1_parse(const unsigned char *buf, size_t len, struct proxy_hdr *out,
    const char **why)
{
	size_t n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX, end;
	const char *line = (const char *)buf;

	if (!v1_start_ok(buf, n))
		return bad(why, "v1 header lacks \"TCP4 \", \"TCP6 \" or "
		    "\"UNKNOWN\" after \"PROXY \"");
	/* The line ends at its first CR, which must come with an LF. */
	for (end = 0; end < n && buf[end] != '\r' && buf[end] != '\n'; end++)
		continue;
	if (end < n && buf[end] == '\n')
		return bad(why, "v1 header has an LF without CR");
	if (end + 1 < n && buf[end + 1] != '\n')
		return bad(why, "v1 header has a CR without LF");
	if (end + 1 >= n)
		return n < PROXY_V1_MAX ? PROXY_MORE :
		    bad(why, "v1 header longer than " STR(PROXY_V1_MAX)
		    " bytes");

	out->len = end + 2;
	out->version = 1;
	out->command = PROXY_CMD_PROXY;
	/*
	 * v1_start_ok() passed a whole line: it starts with one of its
	 * starts, and a TCP line's CR comes after "PROXY TCPx ".
	 */
	if (line[6] == 'U')
		return PROXY_OK;	/* the connection's own addresses */
	return v1_fields(line[9] == '4' ? AF_INET : AF_INET6, line + 11,
	    end - 11, out, why);
}

/* --- version 2 ---------------------------------------------------------- */

/*
 * The TLVs after the addresses fill the rest of the header exactly.  Their
 * contents are skipped: echod needs none, and a receiver need not check
 * a CRC32C TLV unless it supports checksums.
 */
static bool
v2_tlvs_ok(const unsigned char *p, size_t n)
{
	size_t vlen;

	while (n > 0) {
		if (n < 3)
			return false;
		vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > n - 3)
			return false;
		p += 3 + vlen;
		n -= 3 + vlen;
	}
	return true;
}

/*
 * A v2 AF_UNIX address: a path up to its NUL, or an abstract name (a NUL
 * first) up to its last non-NUL byte, as the fixed-size block loses its
 * true length; all NULs is an unnamed socket.  The length is what
 * accept() would give for it.
 */
static socklen_t
v2_unix(const unsigned char *path, struct sockaddr_storage *ss)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t n;

	sun->sun_family = AF_UNIX;
	if (path[0] != '\0') {
		n = strnlen((const char *)path, V2_UNIX_PATH);
		memcpy(sun->sun_path, path, n);
		/* The NUL, when the path leaves room for it. */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
		    (n < V2_UNIX_PATH));
	}
	for (n = V2_UNIX_PATH; n > 1 && path[n - 1] == '\0'; n--)
		continue;
	if (n == 1)
		return sizeof(sun->sun_family);
	memcpy(sun->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static void
v2_inet(const unsigned char *a, struct proxy_hdr *out)
{
	struct sockaddr_in *src = (struct sockaddr_in *)&out->src;
	struct sockaddr_in *dst = (struct sockaddr_in *)&out->dst;

	src->sin_family = dst->sin_family = AF_INET;
	memcpy(&src->sin_addr, a, 4);
	memcpy(&dst->sin_addr, a + 4, 4);
	memcpy(&src->sin_port, a + 8, 2);
	memcpy(&dst->sin_port, a + 10, 2);
	out->srclen = out->dstlen = sizeof(*src);
}

static void
v2_inet6(const unsigned char *a, struct proxy_hdr *out)
{
	struct sockaddr_in6 *src = (struct sockaddr_in6 *)&out->src;
	struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&out->dst;

	src->sin6_family = dst->sin6_family = AF_INET6;
	memcpy(&src->sin6_addr, a, 16);
	memcpy(&dst->sin6_addr, a + 16, 16);
	memcpy(&src->sin6_port, a + 32, 2);
	memcpy(&dst->sin6_port, a + 34, 2);
	out->srclen = out->dstlen = sizeof(*src);
}

/* The address family nibble: its AF_ value and its address block. */
static const struct {
	int family;
	size_t block;
} v2_families[] = {
	{ AF_UNSPEC, 0 },
	{ AF_INET, 2 * 4 + 2 * 2 },
	{ AF_INET6, 2 * 16 + 2 * 2 },
	{ AF_UNIX, 2 * V2_UNIX_PATH },
};
static const int v2_socktypes[] = { 0, SOCK_STREAM, SOCK_DGRAM };

/* The addresses and TLVs of a PROXY command, the whole header at hand. */
static enum proxy_status
v2_proxy(const unsigned char *buf, unsigned fam, unsigned proto,
    struct proxy_hdr *out, const char **why)
{
	size_t block = v2_families[fam].block;
	const unsigned char *a = buf + V2_FIXED;

	out->family = v2_families[fam].family;
	out->socktype = v2_socktypes[proto];
	/* Unspecified: the receiver is to ignore the addresses. */
	if (fam == 0 || proto == 0)
		return PROXY_OK;
	if (!v2_tlvs_ok(a + block, out->len - V2_FIXED - block))
		return bad(why, "v2 TLV runs past the end of the header");
	if (out->family == AF_INET)
		v2_inet(a, out);
	else if (out->family == AF_INET6)
		v2_inet6(a, out);
	else {
		out->srclen = v2_unix(a, &out->src);
		out->dstlen = v2_unix(a + V2_UNIX_PATH, &out->dst);
	}
	out->addrs = true;
	return PROXY_OK;
}

static enum proxy_status
v2_parse(const unsigned char *buf, size_t len, struct proxy_hdr *out,
    const char **why)
{
	unsigned cmd, fam, proto;
	size_t hlen;

	if (len <= V2_SIG_LEN)
		return PROXY_MORE;
	if (buf[12] >> 4 != 2)
		return bad(why, "v2 header of a version other than 2");
	if ((cmd = buf[12] & 0x0f) > 1)
		return bad(why, "v2 command is neither LOCAL nor PROXY");
	if (len < 14)
		return PROXY_MORE;
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	/* LOCAL ignores the family byte altogether. */
	if (cmd == 1 && fam >= NELEM(v2_families))
		return bad(why, "v2 address family unknown");
	if (cmd == 1 && proto >= NELEM(v2_socktypes))
		return bad(why, "v2 transport protocol unknown");
	if (len < V2_FIXED)
		return PROXY_MORE;
	hlen = (size_t)buf[14] << 8 | buf[15];
	if (hlen > PROXY_V2_MAX - V2_FIXED)
		return bad(why, "v2 header longer than " STR(PROXY_V2_MAX)
		    " bytes");
	if (cmd == 1 && fam != 0 && proto != 0 &&
	    hlen < v2_families[fam].block)
		return bad(why, "v2 header too short for its addresses");
	if (len < V2_FIXED + hlen)
		return PROXY_MORE;

	out->len = V2_FIXED + hlen;
	out->version = 2;
	if (cmd == 0) {
		out->command = PROXY_CMD_LOCAL;
		return PROXY_OK;
	}
	out->command = PROXY_CMD_PROXY;
	return v2_proxy(buf, fam, proto, out, why);
}

/* --- either ------------------------------------------------------------- */

/*
 * The signatures differ in their first byte, so the first bytes tell the
 * version.  Refusing a version the caller does not allow waits for its
 * whole signature: a few bytes more, and the log says what came.
 */
enum proxy_status
proxy_parse(const unsigned char *buf, size_t len, unsigned versions,
    struct proxy_hdr *out, const char **why)
{
	enum proxy_status st;
	const char *reason = NULL;

	memset(out, 0, sizeof(*out));
	if (starts_like(buf, len, V1_MAGIC, V1_MAGIC_LEN)) {
		if (len < V1_MAGIC_LEN)
			st = PROXY_MORE;
		else if (!(versions & PROXY_V1))
			st = bad(&reason, "v1 header not allowed");
		else
			st = v1_parse(buf, len, out, &reason);
	} else if (starts_like(buf, len, v2_sig, V2_SIG_LEN)) {
		if (len < V2_SIG_LEN)
			st = PROXY_MORE;
		else if (!(versions & PROXY_V2))
			st = bad(&reason, "v2 header not allowed");
		else
			st = v2_parse(buf, len, out, &reason);
	} else
		st = bad(&reason, "not a PROXY protocol header");
	if (st != PROXY_OK)
		memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = reason;
	return st;
}
