/*
 * libFuzzer target: the PROXY protocol parser (proxy_parse).  The input is
 * the bytes a client sends first.
 *
 * Every start of the input is parsed too, each copied to the end of an
 * allocation (so ASan sees a read past the bytes received), and the
 * answers must be those of a parser that gets the bytes one at a time:
 * PROXY_MORE until the header is whole, then PROXY_OK with the same header
 * and length whatever follows; or PROXY_MORE, then PROXY_BAD for good,
 * with the same reason.
 * PROXY_MORE never comes for a full PROXY_MAX buffer.  A header found is
 * self-consistent and says what its bytes say: a v1 line ends at its first
 * CRLF and is "PROXY TCPx SRC DST SPORT DPORT" one space apart, with the
 * ports in plain decimal and the addresses those parsed (IPv4 in its one
 * written form), or "PROXY UNKNOWN" without addresses; a v2 header is as
 * long as its length field says, its addresses are its address block and
 * TLVs fill the rest.  The version mask only
 * refuses: under PROXY_V1 or PROXY_V2 the answer is PROXY_ANY's, or
 * PROXY_BAD for the other version.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "fuzz.h"
#include "proxy.h"

/* Past the longest header, so that what follows one is exercised. */
#define MAX_INPUT (PROXY_MAX + 64)

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

struct answer {
	enum proxy_status st;
	struct proxy_hdr h;
	const char *why;
};

/*
 * Room for the input: each start of it is copied to the end, so that a
 * read past the bytes given is a read past the allocation.
 */
struct scratch {
	unsigned char *buf;
	size_t size;
};

static void
parse(struct scratch *s, const uint8_t *data, size_t n, unsigned versions,
    struct answer *a)
{
	unsigned char *at = s->buf + s->size - n;

	CHECK(n <= s->size, "the scratch buffer holds the input");
	memmove(at, data, n);
	memset(&a->h, 0x5a, sizeof(a->h));
	a->why = "(not set)";
	a->st = proxy_parse(at, n, versions, &a->h, &a->why);
}

static int
same(const struct answer *a, const struct answer *b)
{
	if (a->st != b->st)
		return 0;
	if (a->st == PROXY_BAD)
		return strcmp(a->why, b->why) == 0;
	return memcmp(&a->h, &b->h, sizeof(a->h)) == 0;
}

/* With memcmp(): a loop here would be most of the run's time. */
static int
all_zero(const void *p, size_t n)
{
	static const unsigned char zero[sizeof(struct proxy_hdr)];

	CHECK(n <= sizeof(zero), "all_zero() of a proxy_hdr at most");
	return memcmp(p, zero, n) == 0;
}

static void
check_why(const char *why)
{
	const unsigned char *p;

	CHECK(why != NULL, "PROXY_BAD gives a reason");
	CHECK(why[0] != '\0' && strlen(why) < 100, "a short reason");
	for (p = (const unsigned char *)why; *p != '\0'; p++)
		CHECK(*p >= 0x20 && *p < 0x7f, "a reason is printable ASCII");
}

static void
check_inet(const struct sockaddr_storage *ss, socklen_t len, int family)
{
	CHECK(ss->ss_family == family, "both addresses are of the family");
	if (family == AF_INET)
		CHECK(len == sizeof(struct sockaddr_in), "an IPv4 length");
	else if (family == AF_INET6)
		CHECK(len == sizeof(struct sockaddr_in6), "an IPv6 length");
	else {
		CHECK(len >= sizeof(sa_family_t) &&
		    len <= sizeof(struct sockaddr_un), "an AF_UNIX length");
		/* So a path filling sun_path has a NUL after it. */
		CHECK(all_zero((const char *)ss + len, sizeof(*ss) - len),
		    "nothing past an AF_UNIX address's length");
	}
}

static void
check_hdr(const struct proxy_hdr *h)
{
	CHECK(h->len > 0 && h->len <= PROXY_MAX, "a header fits PROXY_MAX");
	CHECK(h->version == 1 || h->version == 2, "version 1 or 2");
	CHECK(h->version == 1 ? h->len <= PROXY_V1_MAX : h->len >= 16,
	    "a header length of its version");
	if (h->command == PROXY_CMD_LOCAL)
		CHECK(h->version == 2 && h->family == AF_UNSPEC &&
		    h->socktype == 0, "LOCAL is v2 and ignores its family");
	else
		CHECK(h->command == PROXY_CMD_PROXY, "LOCAL or PROXY");
	if (h->addrs) {
		CHECK(h->command == PROXY_CMD_PROXY, "addresses for PROXY");
		CHECK(h->family == AF_INET || h->family == AF_INET6 ||
		    h->family == AF_UNIX, "addresses of a known family");
		CHECK(h->socktype == SOCK_STREAM ||
		    (h->version == 2 && h->socktype == SOCK_DGRAM),
		    "addresses of a known transport");
		check_inet(&h->src, h->srclen, h->family);
		check_inet(&h->dst, h->dstlen, h->family);
	} else {
		CHECK(h->srclen == 0 && h->dstlen == 0 &&
		    all_zero(&h->src, sizeof(h->src)) &&
		    all_zero(&h->dst, sizeof(h->dst)),
		    "no addresses: both zero");
		CHECK(h->version == 2 || (h->family == AF_UNSPEC &&
		    h->socktype == 0), "v1 without addresses is UNKNOWN");
	}
}

/* The address and port of an AF_INET or AF_INET6 address. */
static const void *
inet_addr_of(const struct sockaddr_storage *ss, unsigned *port)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	if (ss->ss_family == AF_INET) {
		*port = ntohs(sin->sin_port);
		return &sin->sin_addr;
	}
	*port = ntohs(sin6->sin6_port);
	return &sin6->sin6_addr;
}

/* text[0..n) is written for the address at addr of family. */
static int
same_addr(int family, const char *text, size_t n, const void *addr)
{
	char s[INET6_ADDRSTRLEN];
	unsigned char bin[16];

	if (n >= sizeof(s))
		return 0;
	memcpy(s, text, n);
	s[n] = '\0';
	return inet_pton(family, s, bin) == 1 &&
	    memcmp(bin, addr, family == AF_INET ? 4 : 16) == 0;
}

/*
 * A v1 header is its line, "PROXY TCPx SRC DST SPORT DPORT\r\n", each
 * field one space from the next, the ports plain decimal, the addresses
 * the ones parsed; an IPv4 address is written as inet_ntop() does (it
 * has but one form).
 */
static void
check_v1(const uint8_t *data, const struct proxy_hdr *h)
{
	char line[160], ntop[INET6_ADDRSTRLEN];
	const char *text = (const char *)data, *src, *dst, *end;
	const void *sa, *da;
	unsigned sport, dport;
	int n;

	CHECK(memcmp(data, "PROXY ", 6) == 0, "a v1 line starts PROXY");
	CHECK(data[h->len - 2] == '\r' && data[h->len - 1] == '\n' &&
	    memchr(data, '\r', h->len - 2) == NULL &&
	    memchr(data, '\n', h->len - 2) == NULL,
	    "a v1 line ends at its first CRLF");
	if (!h->addrs) {
		CHECK(memcmp(data, "PROXY UNKNOWN", 13) == 0 &&
		    (data[13] == ' ' || data[13] == '\r'),
		    "no addresses: UNKNOWN");
		return;
	}
	CHECK(h->len > 11, "a TCP line has fields");
	end = text + h->len;
	src = text + 11;
	CHECK((dst = memchr(src, ' ', (size_t)(end - src))) != NULL,
	    "a TCP line has a destination");
	dst++;
	CHECK((end = memchr(dst, ' ', (size_t)(end - dst))) != NULL,
	    "a TCP line has ports");
	sa = inet_addr_of(&h->src, &sport);
	da = inet_addr_of(&h->dst, &dport);
	n = snprintf(line, sizeof(line), "PROXY TCP%c %.*s %.*s %u %u\r\n",
	    h->family == AF_INET ? '4' : '6', (int)(dst - 1 - src), src,
	    (int)(end - dst), dst, sport, dport);
	CHECK(n > 0 && (size_t)n == h->len && memcmp(line, data, h->len) == 0,
	    "a TCP line is its fields, one space apart, ports in decimal");
	CHECK(same_addr(h->family, src, (size_t)(dst - 1 - src), sa) &&
	    same_addr(h->family, dst, (size_t)(end - dst), da),
	    "the addresses are the line's");
	if (h->family == AF_INET)
		CHECK(inet_ntop(AF_INET, sa, ntop, sizeof(ntop)) != NULL &&
		    strlen(ntop) == (size_t)(dst - 1 - src) &&
		    memcmp(ntop, src, strlen(ntop)) == 0,
		    "an IPv4 address has one way to be written");
}

/* p[0..n) is TLVs, one after the other, the last one ending at n. */
static int
tlvs_fill(const uint8_t *p, size_t n)
{
	size_t at = 0;

	while (at + 3 <= n)
		at += 3 + ((size_t)p[at + 1] << 8 | p[at + 2]);
	return at == n;
}

static size_t
block(int family)
{
	return family == AF_INET ? 12 : family == AF_INET6 ? 36 : 216;
}

/* A v2 header is as long as it says, its addresses its address block. */
static void
check_v2(const uint8_t *data, const struct proxy_hdr *h)
{
	const struct sockaddr_in *s4 = (const void *)&h->src;
	const struct sockaddr_in *d4 = (const void *)&h->dst;
	const struct sockaddr_in6 *s6 = (const void *)&h->src;
	const struct sockaddr_in6 *d6 = (const void *)&h->dst;
	const struct sockaddr_un *su = (const void *)&h->src;
	const uint8_t *a = data + 16;
	size_t n;

	CHECK(memcmp(data, v2_sig, sizeof(v2_sig)) == 0 &&
	    data[12] >> 4 == 2, "a v2 header has its signature");
	CHECK(h->len == 16 + ((size_t)data[14] << 8 | data[15]),
	    "a v2 header is as long as its length field says");
	CHECK((data[12] & 0x0f) == (h->command == PROXY_CMD_PROXY),
	    "the command is the header's");
	if (!h->addrs)
		return;
	CHECK(tlvs_fill(a + block(h->family), h->len - 16 - block(h->family)),
	    "after the addresses, TLVs fill the header");
	if (h->family == AF_INET)
		CHECK(memcmp(&s4->sin_addr, a, 4) == 0 &&
		    memcmp(&d4->sin_addr, a + 4, 4) == 0 &&
		    memcmp(&s4->sin_port, a + 8, 2) == 0 &&
		    memcmp(&d4->sin_port, a + 10, 2) == 0,
		    "IPv4 addresses from the address block");
	else if (h->family == AF_INET6)
		CHECK(memcmp(&s6->sin6_addr, a, 16) == 0 &&
		    memcmp(&d6->sin6_addr, a + 16, 16) == 0 &&
		    memcmp(&s6->sin6_port, a + 32, 2) == 0 &&
		    memcmp(&d6->sin6_port, a + 34, 2) == 0,
		    "IPv6 addresses from the address block");
	else {
		n = h->srclen - offsetof(struct sockaddr_un, sun_path);
		CHECK(h->srclen == sizeof(sa_family_t) ||
		    memcmp(su->sun_path, a, n > 0 && a[n - 1] == '\0' ?
		    n - 1 : n) == 0, "an AF_UNIX path from the block");
	}
}

static void
check_answer(const uint8_t *data, size_t size, const struct answer *a)
{
	switch (a->st) {
	case PROXY_MORE:
		CHECK(size < PROXY_MAX, "PROXY_MORE only for a partial buffer");
		CHECK(size < PROXY_V1_MAX || data[0] != 'P',
		    "PROXY_MORE only for a partial v1 line");
		CHECK(a->why == NULL, "no reason without PROXY_BAD");
		CHECK(all_zero(&a->h, sizeof(a->h)), "*out zeroed");
		break;
	case PROXY_BAD:
		check_why(a->why);
		CHECK(all_zero(&a->h, sizeof(a->h)), "*out zeroed");
		break;
	case PROXY_OK:
		CHECK(a->why == NULL, "no reason without PROXY_BAD");
		CHECK(a->h.len <= size, "the header is in the buffer");
		check_hdr(&a->h);
		if (a->h.version == 1)
			check_v1(data, &a->h);
		else
			check_v2(data, &a->h);
		break;
	default:
		CHECK(0, "proxy_parse returns a proxy_status");
	}
}

/* Each start of the input answers as bytes arriving one by one would. */
static void
check_prefixes(struct scratch *s, const uint8_t *data, size_t size,
    const struct answer *all)
{
	struct answer a, prev = { PROXY_MORE, { 0 }, NULL };
	size_t m;

	for (m = 0; m < size; m++) {
		parse(s, data, m, PROXY_ANY, &a);
		check_answer(data, m, &a);
		if (all->st == PROXY_OK && m >= all->h.len)
			CHECK(same(&a, all), "after a header, bytes change "
			    "nothing");
		else if (all->st == PROXY_OK)
			CHECK(a.st == PROXY_MORE, "before a header is whole, "
			    "PROXY_MORE");
		else if (all->st == PROXY_MORE)
			CHECK(a.st == PROXY_MORE, "a start of a start is one");
		else if (prev.st == PROXY_BAD)
			CHECK(same(&a, &prev), "refused is refused for good");
		else
			CHECK(a.st != PROXY_OK, "no start of a refused one "
			    "is a header");
		prev = a;
	}
	if (all->st == PROXY_BAD && prev.st == PROXY_BAD)
		CHECK(same(all, &prev), "refused is refused for good");
}

/* A mask refuses the other version and changes nothing else. */
static void
check_versions(struct scratch *s, const uint8_t *data, size_t size,
    const struct answer *any)
{
	static const unsigned masks[] = { PROXY_V1, PROXY_V2, 0 };
	struct answer a;
	size_t i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		parse(s, data, size, masks[i], &a);
		check_answer(data, size, &a);
		if (any->st == PROXY_OK &&
		    (masks[i] & (unsigned)any->h.version))
			CHECK(same(&a, any), "an allowed version is parsed");
		else if (any->st != PROXY_MORE)
			CHECK(a.st == PROXY_BAD, "only the allowed versions");
		else
			CHECK(a.st != PROXY_OK, "a mask allows no more");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scratch s;
	struct answer all;

	if (size > MAX_INPUT)
		return 0;
	s.size = size;
	s.buf = malloc(size > 0 ? size : 1);
	CHECK(s.buf != NULL, "out of memory");
	parse(&s, data, size, PROXY_ANY, &all);
	check_answer(data, size, &all);
	check_prefixes(&s, data, size, &all);
	check_versions(&s, data, size, &all);
	free(s.buf);
	return 0;
}
