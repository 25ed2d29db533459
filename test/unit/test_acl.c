/* Tests for acl.h (CIDR rules) and srctab.h (per-source keys, table). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>

#include "unit.h"
#include "acl.h"
#include "srctab.h"

static struct cidr
cidr_ok(const char *s)
{
	struct cidr c;
	char why[256] = "";

	if (cidr_parse(s, &c, why, sizeof(why)) != 0)
		fail_msg("cidr_parse(\"%s\") failed: %s", s, why);
	return c;
}

static const char *
cidr_fails(const char *s)
{
	static char why[256];
	struct cidr c;

	why[0] = '\0';
	if (cidr_parse(s, &c, why, sizeof(why)) != -1)
		fail_msg("cidr_parse(\"%s\") accepted it", s);
	assert_true(why[0] != '\0');
	return why;
}

/* The key of a textual address, as a peer on a socket would give it. */
static void
key_of(const char *addr, unsigned char key[16])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1)
		assert_true(cidr_key((struct sockaddr *)&sin, key));
	else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1)
		assert_true(cidr_key((struct sockaddr *)&sin6, key));
	else
		fail_msg("test bug: bad address %s", addr);
}

static bool
matches(const char *rule, const char *addr)
{
	struct cidr c = cidr_ok(rule);
	unsigned char key[16];

	key_of(addr, key);
	return cidr_match(&c, key);
}

static void
parse_and_format(void **state)
{
	static const char *const ok[] = {
		"10.0.0.0/8", "192.0.2.1/32", "0.0.0.0/0", "2001:db8::/32",
		"::1/128", "::/0", "fe80::/10",
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct cidr c = cidr_ok(ok[i]);

		cidr_format(&c, buf, sizeof(buf));
		assert_string_equal(buf, ok[i]);
	}
}

static void
bare_address_is_a_host(void **state)
{
	struct cidr c;
	char buf[64];

	(void)state;
	c = cidr_ok("192.0.2.7");
	cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7/32");
	c = cidr_ok("2001:db8::7");
	cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::7/128");
}

static void
bad_blocks(void **state)
{
	(void)state;
	assert_contains(cidr_fails(""), "not an address");
	assert_contains(cidr_fails("10.0.0.0/33"), "prefix length");
	assert_contains(cidr_fails("::/129"), "prefix length");
	assert_contains(cidr_fails("10.0.0.0/"), "prefix length");
	assert_contains(cidr_fails("10.0.0.0/8x"), "prefix length");
	assert_contains(cidr_fails("10.0.0.1/8"), "bits set past");
	assert_contains(cidr_fails("2001:db8::1/32"), "bits set past");
	assert_contains(cidr_fails("example.com"), "not an IPv4 or IPv6");
	assert_contains(cidr_fails("10.0.0"), "not an IPv4 or IPv6");
	assert_contains(cidr_fails("/8"), "not an address");
}

static void
matching(void **state)
{
	(void)state;
	assert_true(matches("10.0.0.0/8", "10.255.1.2"));
	assert_false(matches("10.0.0.0/8", "11.0.0.1"));
	assert_true(matches("192.0.2.0/25", "192.0.2.127"));
	assert_false(matches("192.0.2.0/25", "192.0.2.128"));
	assert_true(matches("0.0.0.0/0", "203.0.113.9"));
	assert_true(matches("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(matches("2001:db8::/32", "2001:db9::1"));
	assert_true(matches("::1", "::1"));
	assert_false(matches("::1", "::2"));
}

static void
ipv4_mapped_matches_ipv4_rules(void **state)
{
	(void)state;
	/* A dual-stack socket sees 127.0.0.1 as ::ffff:127.0.0.1. */
	assert_true(matches("127.0.0.0/8", "::ffff:127.0.0.1"));
	assert_false(matches("10.0.0.0/8", "::ffff:127.0.0.1"));
	/* A wide IPv6 block is about IPv6 clients only. */
	assert_false(matches("::/0", "127.0.0.1"));
	assert_false(matches("::/0", "::ffff:127.0.0.1"));
	assert_true(matches("::/0", "2001:db8::1"));
}

static bool
allows(const char *const *allow, size_t na, const char *const *deny,
    size_t nd, const char *addr)
{
	struct cidr a[4], d[4];
	unsigned char key[16];
	size_t i;

	for (i = 0; i < na; i++)
		a[i] = cidr_ok(allow[i]);
	for (i = 0; i < nd; i++)
		d[i] = cidr_ok(deny[i]);
	key_of(addr, key);
	return acl_allows(a, na, d, nd, key);
}

static void
the_rule(void **state)
{
	static const char *const allow[] = { "10.0.0.0/8", "::1" };
	static const char *const deny[] = { "10.1.0.0/16" };

	(void)state;
	/* No rules: everyone. */
	assert_true(allows(NULL, 0, NULL, 0, "203.0.113.1"));
	/* Only deny: all but the denied. */
	assert_false(allows(NULL, 0, deny, 1, "10.1.2.3"));
	assert_true(allows(NULL, 0, deny, 1, "10.2.2.3"));
	/* Any allow: only the allowed, and deny still wins. */
	assert_true(allows(allow, 2, deny, 1, "10.2.2.3"));
	assert_false(allows(allow, 2, deny, 1, "10.1.2.3"));
	assert_false(allows(allow, 2, deny, 1, "192.0.2.1"));
	assert_true(allows(allow, 2, deny, 1, "::1"));
	assert_false(allows(allow, 2, deny, 1, "::2"));
}

static void
source_keys(void **state)
{
	unsigned char a[16], b[16], ka[16], kb[16];

	(void)state;
	/* IPv6 clients in one /64 are one source; another /64 is not. */
	key_of("2001:db8:1:2::1", a);
	key_of("2001:db8:1:2:ffff::9", b);
	src_key(a, 64, ka);
	src_key(b, 64, kb);
	assert_memory_equal(ka, kb, 16);
	key_of("2001:db8:1:3::1", b);
	src_key(b, 64, kb);
	assert_memory_not_equal(ka, kb, 16);
	/* With a /128 prefix every address counts alone. */
	key_of("2001:db8:1:2:ffff::9", b);
	src_key(a, 128, ka);
	src_key(b, 128, kb);
	assert_memory_not_equal(ka, kb, 16);
	/* IPv4 addresses are never merged, whatever ipv6_prefix says. */
	key_of("192.0.2.1", a);
	key_of("192.0.2.2", b);
	src_key(a, 1, ka);
	src_key(b, 1, kb);
	assert_memory_not_equal(ka, kb, 16);
}

/*
 * A Unix socket's client is its uid: a key no IP client's can be, cut to
 * any ipv6_prefix, and which no prefix merges with another uid's.
 */
static void
uid_source_keys(void **state)
{
	static const char *const ips[] = {
		"0.0.0.0", "192.0.2.1", "255.255.255.255", "::", "::1",
		"::3e8", "2001:db8::3e8", "fe80::1", "fc00::3e8",
		"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	unsigned char a[16], b[16], k[16];
	unsigned prefix;
	size_t i;

	(void)state;
	src_key_uid(1000, a);
	src_key_uid(1001, b);
	assert_true(src_key_is_uid(a));
	assert_memory_not_equal(a, b, 16);
	src_key_uid(0, b);
	assert_true(src_key_is_uid(b));
	assert_memory_not_equal(a, b, 16);
	for (prefix = 1; prefix <= 128; prefix++) {
		src_key(a, prefix, k);
		assert_memory_equal(k, a, 16);
	}
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		key_of(ips[i], b);
		for (prefix = 1; prefix <= 128; prefix++) {
			src_key(b, prefix, k);
			if (src_key_is_uid(k))
				fail_msg("%s cut to /%u is a uid's key", ips[i],
				    prefix);
		}
	}
}

static bool
always(const struct src *e, void *arg)
{
	(void)e;
	(void)arg;
	return true;
}

static void
table_grows_and_deletes(void **state)
{
	struct srctab t;
	unsigned char key[16] = { 0 };
	struct src *e;
	unsigned i;

	(void)state;
	assert_int_equal(srctab_init(&t), 0);
	for (i = 0; i < 1000; i++) {
		key[15] = (unsigned char)i;
		key[14] = (unsigned char)(i >> 8);
		e = srctab_get(&t, key, true);
		assert_non_null(e);
		e->conns = i;
	}
	assert_int_equal(t.n, 1000);
	assert_true(t.nslots >= 1000);
	for (i = 0; i < 1000; i++) {
		key[15] = (unsigned char)i;
		key[14] = (unsigned char)(i >> 8);
		e = srctab_get(&t, key, false);
		assert_non_null(e);
		assert_int_equal(e->conns, i);
		if (i % 2 == 0)
			srctab_del(&t, e);
	}
	assert_int_equal(t.n, 500);
	key[15] = 2;
	key[14] = 0;
	assert_null(srctab_get(&t, key, false));
	srctab_sweep(&t, always, NULL);
	assert_int_equal(t.n, 0);
	srctab_free(&t);
}

int
run_acl_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_and_format),
		cmocka_unit_test(bare_address_is_a_host),
		cmocka_unit_test(bad_blocks),
		cmocka_unit_test(matching),
		cmocka_unit_test(ipv4_mapped_matches_ipv4_rules),
		cmocka_unit_test(the_rule),
		cmocka_unit_test(source_keys),
		cmocka_unit_test(uid_source_keys),
		cmocka_unit_test(table_grows_and_deletes),
	};

	return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
