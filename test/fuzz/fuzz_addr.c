/*
 * libFuzzer target: the input, as a string, is parsed as a listen address
 * (addr_parse) and as an access rule (cidr_parse).  Checks: the reasons
 * are NUL-terminated and free of control bytes (they quote the input
 * escaped); a parsed listen address is self-consistent (its kind is the
 * scheme written, a Unix path is absolute, short and printable), and one
 * that resolves (numeric hosts only, in a fuzz build) formats, with its
 * scheme, as text that parses and resolves to the very same socket; a
 * parsed CIDR block has no host bits set, and cidr_format() of it parses
 * back to the very same block.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "fuzz.h"
#include "log.h"

/* Longer than any host name (255) so the length checks are reached. */
#define MAX_INPUT 600
#define WHY_LEN 256

/* why was written, terminated, and holds no raw control byte. */
static void
check_why(const char *why)
{
	const unsigned char *p;
	size_t len = strnlen(why, WHY_LEN);

	CHECK(len > 0 && len < WHY_LEN, "a reason is given, terminated");
	for (p = (const unsigned char *)why; *p != '\0'; p++)
		CHECK(*p >= 0x20 && *p != 0x7f,
		    "a reason has no raw control byte");
}

/* The text s is, escaped for a log, itself: nothing to escape. */
static int
printable(const char *s)
{
	char esc[4 * ADDR_STRLEN];

	log_escape(esc, sizeof(esc), s, strlen(s));
	return strcmp(esc, s) == 0;
}

static void
check_listen(const char *s, const struct listen_spec *ls)
{
	size_t hostlen = strnlen(ls->host, sizeof(ls->host));
	size_t pathlen = strnlen(ls->path, sizeof(ls->path));

	CHECK(hostlen < sizeof(ls->host), "host is terminated");
	CHECK(pathlen < sizeof(ls->path), "path is terminated");
	CHECK(ls->kind == TRANSPORT_TCP || ls->kind == TRANSPORT_UDP ||
	    ls->kind == TRANSPORT_UNIX, "a known kind");
	CHECK((ls->kind == TRANSPORT_UDP) == (strncmp(s, "udp://", 6) == 0),
	    "udp:// and only it is UDP");
	if (ls->kind == TRANSPORT_UNIX) {
		CHECK(strncmp(s, "unix:/", 6) == 0 && strcmp(ls->path, s + 5)
		    == 0, "a Unix path is what follows unix:");
		CHECK(pathlen <= ADDR_PATH_MAX, "a Unix path fits sun_path");
		CHECK(hostlen == 0 && ls->port == 0 && !ls->bracketed,
		    "a Unix socket has no host or port");
		CHECK(printable(ls->path) && strstr(ls->path, " ;") == NULL &&
		    ls->path[pathlen - 1] != ' ' &&
		    ls->path[pathlen - 1] != '/',
		    "a Unix path reads the same in logs and files");
		return;
	}
	CHECK(pathlen == 0, "only Unix sockets have a path");
	CHECK(!ls->bracketed || (strchr(s, '[') && strchr(ls->host, ':')),
	    "a bracketed host is IPv6");
	/* The host is the text before the last ':' (or inside [ ]). */
	CHECK(hostlen == 0 || strstr(s, ls->host) != NULL,
	    "the host comes from the spec");
}

/*
 * Whether text written for b must read back as b: not for the dual-stack
 * "*" ("[::]" is IPv6 only), a scope (inet_ntop() leaves it out) or an
 * IPv4-mapped address (written as IPv4).
 */
static int
text_is_exact(const struct bind_addr *b)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&b->sa;

	if (b->sa.ss_family != AF_INET6)
		return 1;
	return b->v6only && sin6->sin6_scope_id == 0 &&
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);
}

/* bind_addr_format() of b parses and resolves to b again. */
static void
check_text(const struct bind_addr *b)
{
	struct listen_spec ls;
	struct bind_addr *v;
	char text[ADDR_STRLEN], why[WHY_LEN];
	size_t n;

	memset(text, 0, sizeof(text));
	bind_addr_format(b, text, sizeof(text));
	CHECK(strnlen(text, sizeof(text)) < sizeof(text) && printable(text),
	    "bind_addr_format writes printable text");
	if (addr_parse(text, &ls, why, sizeof(why)) != 0) {
		fprintf(stderr, "bind_addr_format gave '%s': %s\n", text, why);
		CHECK(0, "bind_addr_format's text parses");
	}
	CHECK(ls.kind == b->kind, "bind_addr_format keeps the kind");
	if (!text_is_exact(b))
		return;
	if (addr_resolve(&ls, &v, &n, why, sizeof(why)) != 0) {
		fprintf(stderr, "bind_addr_format gave '%s': %s\n", text, why);
		CHECK(0, "bind_addr_format's text resolves");
	}
	if (n != 1 || !bind_addr_same(b, &v[0]))
		fprintf(stderr, "bind_addr_format gave '%s'\n", text);
	CHECK(n == 1 && bind_addr_same(b, &v[0]),
	    "bind_addr_format's text is the same socket");
	free(v);
}

/* The sockets ls means are of its kind, and compare sanely. */
static void
check_resolved(const struct listen_spec *ls)
{
	struct bind_addr *v;
	char why[WHY_LEN];
	size_t n, i, j;

	memset(why, 0, sizeof(why));
	if (addr_resolve(ls, &v, &n, why, sizeof(why)) != 0) {
		check_why(why);
		return;
	}
	CHECK(n >= 1 && (ls->kind != TRANSPORT_UNIX || n == 1),
	    "a resolved value has a socket, a Unix one exactly one");
	for (i = 0; i < n; i++) {
		CHECK(v[i].kind == ls->kind, "a socket has its value's kind");
		CHECK(bind_addr_same(&v[i], &v[i]) &&
		    bind_addr_same_host(&v[i], &v[i]),
		    "a socket is the same as itself");
		CHECK(bind_addr_overlap(&v[i], &v[i]) ==
		    (ls->kind == TRANSPORT_UNIX || ls->port != 0),
		    "a socket overlaps itself, port 0 excepted");
		for (j = 0; j < n; j++)
			CHECK(bind_addr_overlap(&v[i], &v[j]) ==
			    bind_addr_overlap(&v[j], &v[i]),
			    "overlap is symmetric");
		check_text(&v[i]);
	}
	free(v);
}

static int
same_block(const struct cidr *a, const struct cidr *b)
{
	return a->prefix == b->prefix &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static void
check_cidr(const struct cidr *c)
{
	struct cidr again, *const none = NULL;
	unsigned char key[16];
	char text[128], why[WHY_LEN];
	unsigned i;

	CHECK(c->prefix <= 128, "prefix at most 128");
	for (i = c->prefix; i < 128; i++)
		CHECK(!(c->addr[i / 8] & (0x80 >> (i % 8))),
		    "no bit set past the prefix");
	/* The block matches its own first address... */
	memcpy(key, c->addr, sizeof(key));
	if (c->prefix >= 96 || memcmp(key, "\0\0\0\0\0\0\0\0\0\0\xff\xff",
	    12) != 0) {
		CHECK(cidr_match(c, key), "a block matches its own address");
		CHECK(acl_allows(c, 1, none, 0, key) &&
		    !acl_allows(none, 0, c, 1, key),
		    "allow lets it in, deny keeps it out");
	}
	/* ...and its text form is the same block. */
	memset(text, 0, sizeof(text));
	cidr_format(c, text, sizeof(text));
	CHECK(strnlen(text, sizeof(text)) < sizeof(text) &&
	    strchr(text, '/') != NULL, "cidr_format writes ADDR/PREFIX");
	if (cidr_parse(text, &again, why, sizeof(why)) != 0) {
		fprintf(stderr, "cidr_format gave '%s': %s\n", text, why);
		CHECK(0, "cidr_format's text parses");
	}
	if (!same_block(c, &again))
		fprintf(stderr, "cidr_format gave '%s'\n", text);
	CHECK(same_block(c, &again), "cidr_format's text is the same block");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listen_spec ls;
	struct cidr c;
	char *s, why[WHY_LEN];

	if (size > MAX_INPUT)
		return 0;
	/* An exact-size copy: ASan sees a read past the terminator. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(why, 0, sizeof(why));
	if (addr_parse(s, &ls, why, sizeof(why)) == 0) {
		check_listen(s, &ls);
		check_resolved(&ls);
	} else
		check_why(why);

	memset(why, 0, sizeof(why));
	if (cidr_parse(s, &c, why, sizeof(why)) == 0)
		check_cidr(&c);
	else
		check_why(why);

	free(s);
	return 0;
}
