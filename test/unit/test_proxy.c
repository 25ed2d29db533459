/* Tests for the PROXY protocol parser (proxy_parse). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "unit.h"
#include "addr.h"
#include "proxy.h"

/* What a client sends right after the header. */
#define CLIENT_DATA "GET / HTTP/1.1\r\n\r\n"
#define CLIENT_DATA_LEN (sizeof(CLIENT_DATA) - 1)

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};
static const struct proxy_hdr zero_hdr;

/*
 * proxy_parse() of in[0..n), copied into a buffer of exactly n bytes so
 * that a sanitizer build sees any read past it.
 */
static enum proxy_status
parse(const void *in, size_t n, unsigned versions, struct proxy_hdr *h,
    const char **why)
{
	unsigned char *copy = malloc(n > 0 ? n : 1);
	enum proxy_status st;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, in, n);
	memset(h, 0x5a, sizeof(*h));
	*why = "(not set)";
	st = proxy_parse(copy, n, versions, h, why);
	free(copy);
	return st;
}

/* Every start of in[0..n) shorter than n needs more, and says nothing. */
static void
prefixes_need_more(const void *in, size_t n, unsigned versions)
{
	struct proxy_hdr h;
	const char *why;
	enum proxy_status st;
	size_t m;

	for (m = 0; m < n; m++) {
		st = parse(in, m, versions, &h, &why);
		if (st != PROXY_MORE)
			fail_msg("%zu of %zu bytes: status %d (%s), not "
			    "PROXY_MORE", m, n, st, why != NULL ? why : "");
		assert_null(why);
		assert_memory_equal(&h, &zero_hdr, sizeof(h));
	}
}

/*
 * in[0..n) is one whole valid header: each shorter start of it needs more,
 * all of it is PROXY_OK with len n, and the client's data after it change
 * nothing (a lone LF, which no header could go on with, neither).
 */
static struct proxy_hdr
parse_ok(const void *in, size_t n, unsigned versions)
{
	static const char *const tails[] = { CLIENT_DATA, "\n", "\r\n\r\n" };
	unsigned char more[PROXY_MAX + 64];
	struct proxy_hdr h, again;
	const char *why;
	enum proxy_status st;
	size_t i, tlen;

	assert_true(n <= PROXY_MAX);
	prefixes_need_more(in, n, versions);
	st = parse(in, n, versions, &h, &why);
	if (st != PROXY_OK)
		fail_msg("status %d (%s), not PROXY_OK", st,
		    st == PROXY_BAD ? why : "");
	assert_null(why);
	assert_int_equal(h.len, n);
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		tlen = strlen(tails[i]);
		memcpy(more, in, n);
		memcpy(more + n, tails[i], tlen);
		assert_int_equal(parse(more, n + tlen, versions, &again, &why),
		    PROXY_OK);
		assert_memory_equal(&h, &again, sizeof(h));
	}
	return h;
}

static struct proxy_hdr
parse_ok_str(const char *s)
{
	return parse_ok(s, strlen(s), PROXY_ANY);
}

/*
 * in[0..n) is refused with a reason that contains want: no start of it is
 * PROXY_OK, once one is PROXY_BAD the longer ones are too, and more bytes
 * after it keep the same reason.
 */
static void
parse_bad(const void *in, size_t n, unsigned versions, const char *want)
{
	unsigned char more[PROXY_MAX + 64];
	struct proxy_hdr h;
	const char *why, *first = NULL;
	enum proxy_status st;
	size_t m;

	assert_true(n <= PROXY_MAX);
	for (m = 0; m <= n; m++) {
		st = parse(in, m, versions, &h, &why);
		assert_true(st == PROXY_MORE || st == PROXY_BAD);
		if (first != NULL && st != PROXY_BAD)
			fail_msg("%zu bytes: refused, %zu bytes: not", m - 1, m);
		if (st == PROXY_BAD) {
			assert_non_null(why);
			assert_true(why[0] != '\0');
			if (first != NULL)
				assert_string_equal(why, first);
			first = why;
		} else
			assert_null(why);
		assert_memory_equal(&h, &zero_hdr, sizeof(h));
	}
	if (first == NULL)
		fail_msg("%zu bytes: PROXY_MORE, not PROXY_BAD", n);
	assert_contains(first, want);
	memcpy(more, in, n);
	memcpy(more + n, CLIENT_DATA, CLIENT_DATA_LEN);
	assert_int_equal(parse(more, n + CLIENT_DATA_LEN, versions, &h, &why),
	    PROXY_BAD);
	assert_string_equal(why, first);
}

static void
parse_bad_str(const char *s, const char *want)
{
	parse_bad(s, strlen(s), PROXY_ANY, want);
}

/* ss is want (addr_format's "1.2.3.4:80" or "[::1]:80") of family. */
static void
assert_addr(const struct sockaddr_storage *ss, socklen_t len, int family,
    const char *want)
{
	char text[ADDR_STRLEN];

	assert_int_equal(ss->ss_family, family);
	assert_int_equal(len, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	addr_format((const struct sockaddr *)ss, len, text, sizeof(text));
	assert_string_equal(text, want);
}

/* h is of this version and command, family and transport. */
static void
assert_kind(const struct proxy_hdr *h, int version, enum proxy_command cmd,
    int family, int socktype)
{
	assert_int_equal(h->version, version);
	assert_int_equal(h->command, cmd);
	assert_int_equal(h->family, family);
	assert_int_equal(h->socktype, socktype);
}

/* No addresses: the connection's own apply. */
static void
assert_no_addrs(const struct proxy_hdr *h)
{
	static const struct sockaddr_storage zero;

	assert_false(h->addrs);
	assert_int_equal(h->srclen, 0);
	assert_int_equal(h->dstlen, 0);
	assert_memory_equal(&h->src, &zero, sizeof(zero));
	assert_memory_equal(&h->dst, &zero, sizeof(zero));
}

/* A v2 header: signature, ver_cmd, fam, the length, then body[0..n). */
static size_t
v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *body,
    size_t n)
{
	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(n >> 8);
	out[15] = (unsigned char)n;
	if (n > 0)
		memcpy(out + 16, body, n);
	return 16 + n;
}

/* parse_ok() of the header v2() makes, with any version allowed. */
static struct proxy_hdr
v2_ok(unsigned ver_cmd, unsigned fam, const void *body, size_t n)
{
	unsigned char buf[PROXY_V2_MAX];

	assert_true(16 + n <= sizeof(buf));
	return parse_ok(buf, v2(buf, ver_cmd, fam, body, n), PROXY_ANY);
}

/* IPv4 192.0.2.1:56324 -> 198.51.100.7:443, as a v2 address block. */
static const unsigned char inet_block[12] = {
	192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb,
};

/* --- version 1 ---------------------------------------------------------- */

/* The specification's example, with the HTTP request after it. */
static void
v1_spec_example(void **state)
{
	(void)state;
	const char *line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	char buf[256];
	const char *why;
	struct proxy_hdr h = parse_ok_str(line);

	assert_kind(&h, 1, PROXY_CMD_PROXY, AF_INET, SOCK_STREAM);
	assert_true(h.addrs);
	assert_addr(&h.src, h.srclen, AF_INET, "192.168.0.1:56324");
	assert_addr(&h.dst, h.dstlen, AF_INET, "192.168.0.11:443");

	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.1\r\nHost: 192.168.0.11"
	    "\r\n\r\n", line);
	assert_int_equal(parse(buf, strlen(buf), PROXY_V1, &h, &why),
	    PROXY_OK);
	assert_int_equal(h.len, 47);
}

static void
v1_tcp6(void **state)
{
	(void)state;
	struct proxy_hdr h =
	    parse_ok_str("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n");

	assert_kind(&h, 1, PROXY_CMD_PROXY, AF_INET6, SOCK_STREAM);
	assert_true(h.addrs);
	assert_addr(&h.src, h.srclen, AF_INET6, "[2001:db8::1]:65535");
	assert_addr(&h.dst, h.dstlen, AF_INET6, "[::1]:0");
}

/* The specification's longest TCP lines: 56 and 104 bytes. */
static void
v1_longest_tcp(void **state)
{
	(void)state;
	const char *v4 =
	    "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
	const char *v6 = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n";
	struct proxy_hdr h;

	assert_int_equal(strlen(v4), 56);
	assert_int_equal(strlen(v6), 104);
	h = parse_ok_str(v4);
	assert_addr(&h.src, h.srclen, AF_INET, "255.255.255.255:65535");
	h = parse_ok_str(v6);
	assert_addr(&h.dst, h.dstlen, AF_INET6,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

/* What inet_ntop() writes for a v4-mapped client: senders do send it. */
static void
v1_v4_mapped(void **state)
{
	(void)state;
	struct proxy_hdr h =
	    parse_ok_str("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n");
	const struct sockaddr_in6 *sin6 = (const void *)&h.src;

	assert_int_equal(h.src.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr));
}

static void
v1_unknown(void **state)
{
	(void)state;
	struct proxy_hdr h = parse_ok_str("PROXY UNKNOWN\r\n");

	assert_int_equal(h.len, 15);
	assert_kind(&h, 1, PROXY_CMD_PROXY, AF_UNSPEC, 0);
	assert_no_addrs(&h);

	/* Whatever comes before the CRLF is ignored. */
	h = parse_ok_str("PROXY UNKNOWN 1.2.3.4 ::1 99999 -1 \t\x01\xff\r\n");
	assert_no_addrs(&h);
	h = parse_ok_str("PROXY UNKNOWN \r\n");
	assert_no_addrs(&h);
}

/* 107 bytes, CRLF included, and not one more. */
static void
v1_longest_line(void **state)
{
	(void)state;
	const char *worst = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	char line[PROXY_V1_MAX + 2];

	assert_int_equal(strlen(worst), PROXY_V1_MAX);
	parse_ok_str(worst);

	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
	parse_ok(line, PROXY_V1_MAX, PROXY_ANY);
	/* 108 bytes: refused at 107, its CR the last of them. */
	line[PROXY_V1_MAX - 2] = 'x';
	memcpy(line + PROXY_V1_MAX - 1, "\r\n", 2);
	parse_bad(line, PROXY_V1_MAX + 1, PROXY_ANY, "longer than 107");
	/* No line end at all: refused at 107 bytes. */
	memset(line + 14, ' ', sizeof(line) - 14);
	parse_bad(line, PROXY_V1_MAX, PROXY_ANY, "longer than 107");
	memcpy(line, "PROXY TCP6 ", 11);
	parse_bad(line, PROXY_V1_MAX, PROXY_ANY, "longer than 107");
}

static void
v1_ports(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"65536", "99999", "100000", "01", "00", "+1", "-1", "0x10",
		"1e3", "1.0", "\xef\xbc\x98\xef\xbc\x90",	/* fullwidth 80 */
	};
	char line[128];
	size_t i;

	parse_ok_str("PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n");
	parse_ok_str("PROXY TCP4 1.2.3.4 5.6.7.8 9 10\r\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "PROXY TCP4 1.2.3.4 5.6.7.8 %s 80"
		    "\r\n", bad[i]);
		parse_bad_str(line, "v1 source port");
		snprintf(line, sizeof(line), "PROXY TCP6 ::1 ::2 80 %s\r\n",
		    bad[i]);
		parse_bad_str(line, "v1 destination port");
	}
}

static void
v1_addresses(void **state)
{
	(void)state;
	static const char *const bad4[] = {
		"01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"0x1.2.3.4", "::1", "1.2.3.4/8", "localhost", "1.2.3.",
	};
	static const char *const bad6[] = {
		"1.2.3.4", "fe80::1%eth0", "[::1]", "1::2::3", "12345::",
		"::g", ":1:2:3:4:5:6:7", "::1/128",
	};
	char line[160];
	size_t i;

	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		snprintf(line, sizeof(line), "PROXY TCP4 %s 5.6.7.8 1 2\r\n",
		    bad4[i]);
		parse_bad_str(line, "v1 source is not an IPv4 address");
		snprintf(line, sizeof(line), "PROXY TCP4 5.6.7.8 %s 1 2\r\n",
		    bad4[i]);
		parse_bad_str(line, "v1 destination is not an IPv4 address");
	}
	for (i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		snprintf(line, sizeof(line), "PROXY TCP6 %s ::2 1 2\r\n",
		    bad6[i]);
		parse_bad_str(line, "v1 source is not an IPv6 address");
		snprintf(line, sizeof(line), "PROXY TCP6 ::2 %s 1 2\r\n",
		    bad6[i]);
		parse_bad_str(line, "v1 destination is not an IPv6 address");
	}
}

/* A NUL must not end an address early. */
static void
v1_nul_in_address(void **state)
{
	(void)state;
	static const char line[] = "PROXY TCP4 1.2.3.4\0x 5.6.7.8 1 2\r\n";

	parse_bad(line, sizeof(line) - 1, PROXY_ANY,
	    "v1 source is not an IPv4 address");
}

static void
v1_spacing(void **state)
{
	(void)state;
	parse_bad_str("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "one space");
	parse_bad_str("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "one space");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", "one space");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
	    "more after the destination port");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	    "more after the destination port");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "lacks a field");
	parse_bad_str("PROXY TCP4 1.2.3.4\r\n", "lacks a field");
	parse_bad_str("PROXY TCP4 \r\n", "one space");
	parse_bad_str("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "lacks a field");
	parse_bad_str("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "after \"PROXY");
	parse_bad_str("PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n", "after \"PROXY");
}

static void
v1_line_ends(void **state)
{
	(void)state;
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "LF without CR");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR without LF");
	parse_bad_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "CR without LF");
	/* A line end where a space or CR must be: the protocol is wrong. */
	parse_bad_str("PROXY UNKNOWN\n", "after \"PROXY ");
	parse_bad_str("PROXY UNKNOWN junk\nmore\r\n", "LF without CR");
	parse_bad_str("PROXY UNKNOWN junk\rmore\r\n", "CR without LF");
	parse_bad_str("PROXY\r\n", "after \"PROXY");
}

/* Refused as soon as the protocol cannot be TCP4, TCP6 or UNKNOWN. */
static void
v1_protocol(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"PROXY TCP5", "PROXY tcp4", "PROXY UDP4", "PROXY TCP4\r",
		"PROXY UNKNOWNX", "PROXY UNKNOWN\t", "PROXYTCP4", "PROXY TCP",
		"PROXY T\r\n", "PROXY ",
	};
	char line[64];
	size_t i;

	for (i = 0; i < 7; i++)
		parse_bad_str(bad[i], "after \"PROXY ");
	/* Starts of a valid line, refused once their end is seen. */
	for (; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s\r\n", bad[i]);
		parse_bad_str(line, "after \"PROXY ");
	}
}

/* --- version 2 ---------------------------------------------------------- */

static void
v2_inet_stream(void **state)
{
	(void)state;
	struct proxy_hdr h = v2_ok(0x21, 0x11, inet_block, sizeof(inet_block));

	assert_int_equal(h.len, 28);
	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_INET, SOCK_STREAM);
	assert_true(h.addrs);
	assert_addr(&h.src, h.srclen, AF_INET, "192.0.2.1:56324");
	assert_addr(&h.dst, h.dstlen, AF_INET, "198.51.100.7:443");
}

static void
v2_inet_dgram(void **state)
{
	(void)state;
	unsigned char buf[64];
	size_t n = v2(buf, 0x21, 0x12, inet_block, sizeof(inet_block));
	struct proxy_hdr h = parse_ok(buf, n, PROXY_V2);

	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_INET, SOCK_DGRAM);
	assert_addr(&h.src, h.srclen, AF_INET, "192.0.2.1:56324");
}

static void
v2_inet6(void **state)
{
	(void)state;
	unsigned char block[36] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct proxy_hdr h;

	block[15] = 1;			/* 2001:db8::1 */
	block[31] = 1;			/* ::1 */
	block[32] = 0xff;		/* 65535 */
	block[33] = 0xff;
	block[35] = 7;			/* 7 */
	h = v2_ok(0x21, 0x21, block, sizeof(block));
	assert_int_equal(h.len, 52);
	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_INET6, SOCK_STREAM);
	assert_addr(&h.src, h.srclen, AF_INET6, "[2001:db8::1]:65535");
	assert_addr(&h.dst, h.dstlen, AF_INET6, "[::1]:7");

	h = v2_ok(0x21, 0x22, block, sizeof(block));
	assert_int_equal(h.socktype, SOCK_DGRAM);
}

static const struct sockaddr_un *
as_un(const struct sockaddr_storage *ss)
{
	return (const struct sockaddr_un *)(const void *)ss;
}

static void
v2_unix(void **state)
{
	(void)state;
	unsigned char block[216] = { 0 };
	const size_t base = offsetof(struct sockaddr_un, sun_path);
	struct proxy_hdr h;

	/* A path, and bytes after its NUL that are not part of it. */
	memcpy(block, "/run/client.sock\0junk", 21);
	memcpy(block + 108, "/run/echod", 10);
	h = v2_ok(0x21, 0x31, block, sizeof(block));
	assert_int_equal(h.len, 232);
	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_UNIX, SOCK_STREAM);
	assert_true(h.addrs);
	assert_int_equal(h.src.ss_family, AF_UNIX);
	assert_string_equal(as_un(&h.src)->sun_path, "/run/client.sock");
	assert_int_equal(h.srclen, base + 17);
	assert_null(memchr(as_un(&h.src)->sun_path, 'j', 108));
	assert_string_equal(as_un(&h.dst)->sun_path, "/run/echod");
	assert_int_equal(h.dstlen, base + 11);

	h = v2_ok(0x21, 0x32, block, sizeof(block));
	assert_int_equal(h.socktype, SOCK_DGRAM);
}

/* A path of all 108 bytes: no NUL in sun_path, but one after it. */
static void
v2_unix_full_path(void **state)
{
	(void)state;
	unsigned char block[216];
	const size_t base = offsetof(struct sockaddr_un, sun_path);
	struct proxy_hdr h;

	memset(block, 'p', 108);
	memset(block + 108, 'q', 108);
	block[0] = block[108] = '/';
	h = v2_ok(0x21, 0x31, block, sizeof(block));
	assert_int_equal(h.srclen, base + 108);
	assert_int_equal(h.dstlen, base + 108);
	/* Terminated within the sockaddr_storage. */
	assert_int_equal(strnlen((const char *)&h.src + base,
	    sizeof(h.src) - base), 108);
	assert_int_equal(strnlen((const char *)&h.dst + base,
	    sizeof(h.dst) - base), 108);
	assert_memory_equal(as_un(&h.dst)->sun_path, block + 108, 108);
}

/* Abstract names (a NUL first) and unnamed sockets (all NULs). */
static void
v2_unix_abstract(void **state)
{
	(void)state;
	unsigned char block[216] = { 0 };
	const size_t base = offsetof(struct sockaddr_un, sun_path);
	struct proxy_hdr h;

	memcpy(block, "\0echod\0x", 8);
	h = v2_ok(0x21, 0x31, block, sizeof(block));
	assert_int_equal(h.srclen, base + 8);
	assert_memory_equal(as_un(&h.src)->sun_path, "\0echod\0x", 8);
	assert_int_equal(h.dst.ss_family, AF_UNIX);
	assert_int_equal(h.dstlen, sizeof(sa_family_t));
}

/* PROXY with AF_UNSPEC: accepted, the connection's own addresses apply. */
static void
v2_unspec(void **state)
{
	(void)state;
	struct proxy_hdr h;

	h = v2_ok(0x21, 0x00, NULL, 0);
	assert_int_equal(h.len, 16);
	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_UNSPEC, 0);
	assert_no_addrs(&h);

	/* Whatever its length says is skipped, TLVs or not. */
	h = v2_ok(0x21, 0x00, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(h.len, 21);
	assert_no_addrs(&h);
	h = v2_ok(0x21, 0x01, "\xff\xff\xff", 3);
	assert_int_equal(h.socktype, SOCK_STREAM);
	assert_no_addrs(&h);
}

/* A known family with transport UNSPEC: its addresses are ignored. */
static void
v2_unspec_transport(void **state)
{
	(void)state;
	struct proxy_hdr h;

	h = v2_ok(0x21, 0x10, inet_block, sizeof(inet_block));
	assert_kind(&h, 2, PROXY_CMD_PROXY, AF_INET, 0);
	assert_no_addrs(&h);
	h = v2_ok(0x21, 0x30, "\x01", 1);
	assert_int_equal(h.family, AF_UNIX);
	assert_no_addrs(&h);
}

/* LOCAL (a health check): valid, addresses and family ignored. */
static void
v2_local(void **state)
{
	(void)state;
	struct proxy_hdr h;
	unsigned fam;

	h = v2_ok(0x20, 0x00, NULL, 0);
	assert_int_equal(h.len, 16);
	assert_kind(&h, 2, PROXY_CMD_LOCAL, AF_UNSPEC, 0);
	assert_no_addrs(&h);

	/* The length is skipped whatever LOCAL's family byte says. */
	for (fam = 0; fam <= 0xff; fam += 0x11) {
		h = v2_ok(0x20, fam, inet_block, sizeof(inet_block));
		assert_int_equal(h.len, 28);
		assert_int_equal(h.command, PROXY_CMD_LOCAL);
		assert_int_equal(h.family, AF_UNSPEC);
		assert_no_addrs(&h);
	}
	/* Even too short for the family it names. */
	v2_ok(0x20, 0x21, inet_block, 3);
}

static void
v2_tlvs(void **state)
{
	(void)state;
	static const unsigned char tlvs[] = {
		0x04, 0x00, 0x00,			/* NOOP, empty */
		0x01, 0x00, 0x02, 'h', '2',		/* ALPN */
		0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.',
		    'c', 'o', 'm',			/* AUTHORITY */
		0x20, 0x00, 0x0d, 0x01, 0, 0, 0, 0,	/* SSL, and in it */
		    0x21, 0x00, 0x05, 'T', 'L', 'S', 'v', '1', /* VERSION */
		0xe0, 0x00, 0x01, 0x00,			/* custom */
	};
	unsigned char body[PROXY_V2_MAX - 16];
	const size_t vlen = sizeof(body) - 12 - 3;
	struct proxy_hdr h;

	memcpy(body, inet_block, sizeof(inet_block));
	memcpy(body + sizeof(inet_block), tlvs, sizeof(tlvs));
	h = v2_ok(0x21, 0x11, body, sizeof(inet_block) + sizeof(tlvs));
	assert_int_equal(h.len, 16 + 12 + sizeof(tlvs));
	assert_addr(&h.src, h.srclen, AF_INET, "192.0.2.1:56324");

	/* One TLV filling the rest of the longest header. */
	memset(body + 12, 0, sizeof(body) - 12);
	body[12] = 0x04;
	body[13] = (unsigned char)(vlen >> 8);
	body[14] = (unsigned char)vlen;
	h = v2_ok(0x21, 0x11, body, sizeof(body));
	assert_int_equal(h.len, PROXY_V2_MAX);
	assert_addr(&h.dst, h.dstlen, AF_INET, "198.51.100.7:443");
}

static void
v2_bad_tlvs(void **state)
{
	(void)state;
	static const struct {
		const char *tlvs;
		size_t n;
	} bad[] = {
		{ "\x04", 1 },			/* a type alone */
		{ "\x04\x00", 2 },		/* no length low byte */
		{ "\x04\x00\x01", 3 },		/* its value missing */
		{ "\x04\x00\x03\x00\x00", 5 },	/* one byte short */
		{ "\x04\x00\x00\x01", 4 },	/* a second one cut */
		{ "\x04\x01\x00\x00", 4 },	/* 256 bytes claimed */
	};
	unsigned char body[64], buf[128];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(body, inet_block, sizeof(inet_block));
		memcpy(body + 12, bad[i].tlvs, bad[i].n);
		n = v2(buf, 0x21, 0x11, body, 12 + bad[i].n);
		parse_bad(buf, n, PROXY_ANY, "v2 TLV runs past the end");
	}
}

static void
v2_bad_version_command(void **state)
{
	(void)state;
	static const unsigned ver_cmd[] = {
		0x01, 0x11, 0x31, 0xf1, 0x10, 0x22, 0x2f, 0x23,
	};
	unsigned char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(ver_cmd) / sizeof(ver_cmd[0]); i++) {
		n = v2(buf, ver_cmd[i], 0x11, inet_block, sizeof(inet_block));
		parse_bad(buf, n, PROXY_ANY, i < 5 ? "version other than 2" :
		    "neither LOCAL nor PROXY");
		/* Refused at once, before the rest arrives. */
		parse_bad(buf, 13, PROXY_ANY, i < 5 ? "version other than 2" :
		    "neither LOCAL nor PROXY");
	}
}

static void
v2_bad_family_transport(void **state)
{
	(void)state;
	static const unsigned fam[] = { 0x41, 0xf1, 0x13, 0x1f, 0x03 };
	unsigned char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		n = v2(buf, 0x21, fam[i], inet_block, sizeof(inet_block));
		parse_bad(buf, 14, PROXY_ANY, i < 2 ? "address family" :
		    "transport protocol");
		parse_bad(buf, n, PROXY_ANY, i < 2 ? "address family" :
		    "transport protocol");
	}
}

/* A length shorter than the family's addresses, refused at once. */
static void
v2_short_addresses(void **state)
{
	(void)state;
	static const struct {
		unsigned fam;
		size_t block;
	} fams[] = {
		{ 0x11, 12 }, { 0x12, 12 }, { 0x21, 36 }, { 0x22, 36 },
		{ 0x31, 216 }, { 0x32, 216 },
	};
	unsigned char body[216] = { 1 }, buf[256];
	size_t i, n;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		n = v2(buf, 0x21, fams[i].fam, body, fams[i].block - 1);
		parse_bad(buf, 16, PROXY_ANY, "too short for its addresses");
		parse_bad(buf, n, PROXY_ANY, "too short for its addresses");
		n = v2(buf, 0x21, fams[i].fam, body, 0);
		parse_bad(buf, n, PROXY_ANY, "too short for its addresses");
		v2_ok(0x21, fams[i].fam, body, fams[i].block);
	}
}

/* Longer than PROXY_V2_MAX: refused from its length field alone. */
static void
v2_too_long(void **state)
{
	(void)state;
	unsigned char buf[PROXY_V2_MAX + 1];
	const char *why;
	struct proxy_hdr h;
	size_t n;

	memset(buf, 0, sizeof(buf));
	n = v2(buf, 0x21, 0x00, NULL, 0);
	buf[14] = (PROXY_V2_MAX - 16 + 1) >> 8;
	buf[15] = (PROXY_V2_MAX - 16 + 1) & 0xff;
	parse_bad(buf, n, PROXY_ANY, "v2 header longer than 1024 bytes");
	buf[14] = buf[15] = 0xff;
	parse_bad(buf, n, PROXY_ANY, "v2 header longer than 1024 bytes");
	buf[12] = 0x20;
	parse_bad(buf, n, PROXY_ANY, "v2 header longer than 1024 bytes");

	/* The longest: PROXY_MORE up to its last byte. */
	buf[14] = (PROXY_V2_MAX - 16) >> 8;
	buf[15] = (PROXY_V2_MAX - 16) & 0xff;
	parse_ok(buf, PROXY_V2_MAX, PROXY_ANY);
	assert_int_equal(parse(buf, sizeof(buf), PROXY_ANY, &h, &why),
	    PROXY_OK);
	assert_int_equal(h.len, PROXY_V2_MAX);
}

static void
v2_bad_signature(void **state)
{
	(void)state;
	unsigned char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(v2_sig); i++) {
		n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));
		buf[i] ^= 0x20;
		/* Refused at the byte that differs. */
		parse_bad(buf, i + 1, PROXY_ANY, "not a PROXY protocol header");
		parse_bad(buf, n, PROXY_ANY, "not a PROXY protocol header");
	}
}

/* --- either ------------------------------------------------------------- */

/* Only the versions allowed; the other is named once its signature is. */
static void
versions(void **state)
{
	(void)state;
	const char *v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
	unsigned char buf[64];
	size_t n = v2(buf, 0x21, 0x11, inet_block, sizeof(inet_block));

	parse_ok(v1, strlen(v1), PROXY_V1);
	parse_ok(buf, n, PROXY_V2);
	parse_bad(v1, strlen(v1), PROXY_V2, "v1 header not allowed");
	parse_bad(v1, 5, PROXY_V2, "v1 header not allowed");
	parse_bad(buf, n, PROXY_V1, "v2 header not allowed");
	parse_bad(buf, 12, PROXY_V1, "v2 header not allowed");
	parse_bad(v1, strlen(v1), 0, "v1 header not allowed");
	parse_bad(buf, n, 0, "v2 header not allowed");
	/* A v2 signature with another version is still not v1. */
	buf[12] = 0x11;
	parse_bad(buf, n, PROXY_V1, "v2 header not allowed");
}

/* What clients that do not speak the protocol send first. */
static void
garbage(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 18 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11 },
		{ "SSH-2.0-OpenSSH_9.2\r\n", 21 },
		{ "hello\n", 6 },
		{ "\0\0\0\0", 4 },
		{ "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32 },
		{ " PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 33 },
		{ "\r\n\r\n\r\n", 6 },
		{ "\n", 1 },
		{ "PROXZ", 5 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i].s, bad[i].n, PROXY_ANY,
		    "not a PROXY protocol header");
	/* Refused at their first byte. */
	parse_bad("G", 1, PROXY_ANY, "not a PROXY protocol header");
	parse_bad("\x16", 1, PROXY_ANY, "not a PROXY protocol header");
	/* The starts of both signatures, and nothing at all, need more. */
	prefixes_need_more("\r\n\r\n\0\r\nQUIT\n", 12, PROXY_ANY);
	prefixes_need_more("PROXY", 5, PROXY_ANY);
}

/* A PROXY_MAX buffer never fills up with PROXY_MORE. */
static void
never_more_when_full(void **state)
{
	(void)state;
	static const char *const starts[] = {
		"PROXY ", "PROXY TCP4 ", "PROXY TCP6 ", "PROXY UNKNOWN ",
		"PROXY UNKNOWN", "P",
	};
	unsigned char buf[PROXY_MAX];
	const char *why;
	struct proxy_hdr h;
	size_t i, k;
	unsigned fam;

	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		for (k = 0; k < 3; k++) {
			memset(buf, "x 1"[k], sizeof(buf));
			memcpy(buf, starts[i], strlen(starts[i]));
			assert_int_equal(parse(buf, PROXY_V1_MAX, PROXY_ANY,
			    &h, &why), PROXY_BAD);
			assert_int_equal(parse(buf, sizeof(buf), PROXY_ANY,
			    &h, &why), PROXY_BAD);
		}
	}
	for (fam = 0; fam <= 0xff; fam++) {
		memset(buf, 0xff, sizeof(buf));
		v2(buf, 0x21, fam, NULL, 0);
		buf[14] = buf[15] = 0xff;
		assert_int_not_equal(parse(buf, sizeof(buf), PROXY_ANY, &h,
		    &why), PROXY_MORE);
		buf[14] = (PROXY_V2_MAX - 16) >> 8;
		buf[15] = (PROXY_V2_MAX - 16) & 0xff;
		assert_int_not_equal(parse(buf, sizeof(buf), PROXY_ANY, &h,
		    &why), PROXY_MORE);
	}
}

/* why may be NULL. */
static void
why_optional(void **state)
{
	(void)state;
	struct proxy_hdr h;

	assert_int_equal(proxy_parse((const unsigned char *)"GET", 3,
	    PROXY_ANY, &h, NULL), PROXY_BAD);
	assert_int_equal(proxy_parse((const unsigned char *)
	    "PROXY UNKNOWN\r\n", 15, PROXY_ANY, &h, NULL), PROXY_OK);
	assert_int_equal(h.len, 15);
}

int
run_proxy_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_spec_example),
		cmocka_unit_test(v1_tcp6),
		cmocka_unit_test(v1_longest_tcp),
		cmocka_unit_test(v1_v4_mapped),
		cmocka_unit_test(v1_unknown),
		cmocka_unit_test(v1_longest_line),
		cmocka_unit_test(v1_ports),
		cmocka_unit_test(v1_addresses),
		cmocka_unit_test(v1_nul_in_address),
		cmocka_unit_test(v1_spacing),
		cmocka_unit_test(v1_line_ends),
		cmocka_unit_test(v1_protocol),
		cmocka_unit_test(v2_inet_stream),
		cmocka_unit_test(v2_inet_dgram),
		cmocka_unit_test(v2_inet6),
		cmocka_unit_test(v2_unix),
		cmocka_unit_test(v2_unix_full_path),
		cmocka_unit_test(v2_unix_abstract),
		cmocka_unit_test(v2_unspec),
		cmocka_unit_test(v2_unspec_transport),
		cmocka_unit_test(v2_local),
		cmocka_unit_test(v2_tlvs),
		cmocka_unit_test(v2_bad_tlvs),
		cmocka_unit_test(v2_bad_version_command),
		cmocka_unit_test(v2_bad_family_transport),
		cmocka_unit_test(v2_short_addresses),
		cmocka_unit_test(v2_too_long),
		cmocka_unit_test(v2_bad_signature),
		cmocka_unit_test(versions),
		cmocka_unit_test(garbage),
		cmocka_unit_test(never_more_when_full),
		cmocka_unit_test(why_optional),
	};

	return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
