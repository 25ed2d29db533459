/*
 * libFuzzer target: the input, as a string, is parsed as a listen address
 * (addr_parse) and as an access rule (cidr_parse).  Checks: the reasons
 * are NUL-terminated and free of control bytes (they quote the input
 * escaped); a parsed listen address is self-consistent; a parsed CIDR
 * block has no host bits set, and cidr_format() of it parses back to the
 * very same block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "fuzz.h"

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

static void
check_listen(const char *s, const struct listen_spec *ls)
{
	size_t hostlen = strnlen(ls->host, sizeof(ls->host));

	CHECK(hostlen < sizeof(ls->host), "host is terminated");
	CHECK(!ls->bracketed || (s[0] == '[' && strchr(ls->host, ':')),
	    "a bracketed host is IPv6");
	/* The host is the text before the last ':' (or inside [ ]). */
	CHECK(hostlen == 0 || strstr(s, ls->host) != NULL,
	    "the host comes from the spec");
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
	if (addr_parse(s, &ls, why, sizeof(why)) == 0)
		check_listen(s, &ls);
	else
		check_why(why);

	memset(why, 0, sizeof(why));
	if (cidr_parse(s, &c, why, sizeof(why)) == 0)
		check_cidr(&c);
	else
		check_why(why);

	free(s);
	return 0;
}
