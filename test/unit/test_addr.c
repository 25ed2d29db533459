/* Tests for addr.h: listen spec parsing and socket address formatting. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "addr.h"

/* Expects spec to parse; fails with the reason otherwise. */
static struct listen_spec
parse_ok(const char *spec)
{
	struct listen_spec ls;
	char why[256] = "";

	memset(&ls, 0x5a, sizeof(ls));
	if (addr_parse(spec, &ls, why, sizeof(why)) != 0)
		fail_msg("addr_parse(\"%s\") failed: %s", spec, why);
	return ls;
}

/* Expects spec to be rejected; returns the reason. */
static const char *
parse_fails(const char *spec)
{
	static char why[256];
	struct listen_spec ls;

	why[0] = '\0';
	if (addr_parse(spec, &ls, why, sizeof(why)) != -1)
		fail_msg("addr_parse(\"%s\") accepted it as host \"%.255s\" "
		    "port %u", spec, ls.host, ls.port);
	assert_true(why[0] != '\0');
	return why;
}

static void
ipv4_and_port(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("127.0.0.1:7007");

	assert_string_equal(ls.host, "127.0.0.1");
	assert_int_equal(ls.port, 7007);
	assert_int_equal(ls.bracketed, 0);
}

static void
bracketed_ipv6(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("[::1]:7");

	assert_string_equal(ls.host, "::1");
	assert_int_equal(ls.port, 7);
	assert_int_equal(ls.bracketed, 1);
}

static void
bracketed_ipv6_with_scope(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("[fe80::1%lo]:7");

	assert_string_equal(ls.host, "fe80::1%lo");
	assert_int_equal(ls.port, 7);
	assert_int_equal(ls.bracketed, 1);
}

static void
star_means_any(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("*:7");

	assert_string_equal(ls.host, "");
	assert_int_equal(ls.port, 7);
	assert_int_equal(ls.bracketed, 0);
}

static void
bare_port_means_any(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("7007");

	assert_string_equal(ls.host, "");
	assert_int_equal(ls.port, 7007);
	assert_int_equal(ls.bracketed, 0);
}

static void
name_is_kept(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("localhost:80");

	assert_string_equal(ls.host, "localhost");
	assert_int_equal(ls.port, 80);
	assert_int_equal(ls.bracketed, 0);
}

static void
port_bounds(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("127.0.0.1:0").port, 0);
	assert_int_equal(parse_ok("127.0.0.1:65535").port, 65535);
	assert_int_equal(parse_ok("0").port, 0);
	assert_int_equal(parse_ok("65535").port, 65535);
}

static void
port_too_big(void **state)
{
	(void)state;
	parse_fails("127.0.0.1:65536");
	parse_fails("65536");
	parse_fails("[::1]:65536");
	parse_fails("127.0.0.1:99999999999999999999");
}

static void
port_missing(void **state)
{
	(void)state;
	parse_fails("host:");
	parse_fails("127.0.0.1:");
	parse_fails("[::1]");
	parse_fails("[::1]:");
}

static void
port_not_a_number(void **state)
{
	(void)state;
	parse_fails("1.2.3.4:7x");
	parse_fails("1.2.3.4:x7");
	parse_fails("1.2.3.4:-1");
	parse_fails("http");
}

static void
unbracketed_ipv6_needs_brackets(void **state)
{
	(void)state;
	const char *why = parse_fails("::1:7");

	if (strcasestr(why, "bracket") == NULL)
		fail_msg("reason does not mention brackets: %s", why);
}

static void
unclosed_bracket(void **state)
{
	(void)state;
	parse_fails("[::1:7");
	parse_fails("[::1");
}

static void
junk_after_bracket(void **state)
{
	(void)state;
	parse_fails("[::1]7");
	parse_fails("[::1]x:7");
}

static void
empty_spec(void **state)
{
	(void)state;
	parse_fails("");
}

static void
host_too_long(void **state)
{
	(void)state;
	char spec[400];

	memset(spec, 'a', 300);
	strcpy(spec + 300, ".example:80");
	parse_fails(spec);
}

static void
format_ipv4(void **state)
{
	(void)state;
	struct sockaddr_in sin;
	char buf[ADDR_STRLEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr_format((const struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:80");
}

static void
format_ipv6(void **state)
{
	(void)state;
	struct sockaddr_in6 sin6;
	char buf[ADDR_STRLEN];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(80);
	sin6.sin6_addr = in6addr_loopback;
	addr_format((const struct sockaddr *)&sin6, sizeof(sin6), buf,
	    sizeof(buf));
	assert_string_equal(buf, "[::1]:80");
}

static void
format_high_port(void **state)
{
	(void)state;
	struct sockaddr_in sin;
	char buf[ADDR_STRLEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(65535);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr), 1);
	addr_format((const struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	assert_string_equal(buf, "192.0.2.10:65535");
}

/* A host that can never resolve is an error now, not at bind time. */
static void
bad_host_characters(void **state)
{
	(void)state;
	assert_contains(parse_fails("a b:7"), "bad host name");
	assert_contains(parse_fails("x;y:7"), "bad host name");
	assert_contains(parse_fails("ho\x1bst:7"), "\\x1b");
	assert_contains(parse_fails("[::1 ]:7"), "not IPv6");
	parse_ok("my-host.example_1:7");
	parse_ok("[fe80::1%eth0]:7");
}

/* The sockets spec means; spec must be numeric (no DNS in unit tests). */
static size_t
resolve(const char *spec, struct bind_addr **v)
{
	struct listen_spec ls = parse_ok(spec);
	char why[256] = "";
	size_t n;

	if (addr_resolve(&ls, v, &n, why, sizeof(why)) != 0)
		fail_msg("addr_resolve(\"%s\") failed: %s", spec, why);
	assert_true(n >= 1);
	return n;
}

/* The one socket spec means. */
static struct bind_addr
one(const char *spec)
{
	struct bind_addr *v, b;

	assert_int_equal(resolve(spec, &v), 1);
	b = *v;
	free(v);
	return b;
}

static bool
overlap(const char *a, const char *b)
{
	struct bind_addr x = one(a), y = one(b);

	/* The relation is symmetric. */
	assert_true(bind_addr_overlap(&x, &y) == bind_addr_overlap(&y, &x));
	return bind_addr_overlap(&x, &y);
}

static void
resolve_star_is_one_dual_stack_socket(void **state)
{
	(void)state;
	struct bind_addr a = one("*:7007"), b = one("7007");
	char buf[ADDR_STRLEN];

	assert_true(bind_addr_same(&a, &b));
	assert_true(addr_is_any(&a));
	addr_format((const struct sockaddr *)&a.sa, a.len, buf, sizeof(buf));
	if (a.sa.ss_family == AF_INET6) {
		assert_false(a.v6only);
		assert_string_equal(buf, "[::]:7007");
	} else
		assert_string_equal(buf, "0.0.0.0:7007");
}

static void
resolve_numeric(void **state)
{
	(void)state;
	struct bind_addr a = one("127.0.0.1:7"), b = one("[::1]:7");
	char buf[ADDR_STRLEN];

	assert_int_equal(a.sa.ss_family, AF_INET);
	assert_false(a.v6only);
	addr_format((const struct sockaddr *)&a.sa, a.len, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:7");
	assert_int_equal(b.sa.ss_family, AF_INET6);
	assert_true(b.v6only);	/* an explicit IPv6 address: IPv6 only */
	assert_false(addr_is_any(&a));
	assert_false(addr_is_any(&b));
}

static void
same_socket(void **state)
{
	(void)state;
	struct bind_addr a = one("127.0.0.1:7"), b = one("127.0.0.1:8"),
	    c = one("127.0.0.2:7"), d = one("[::]:7"), e = one("*:7");

	assert_true(bind_addr_same(&a, &a));
	assert_false(bind_addr_same(&a, &b));
	assert_true(bind_addr_same_host(&a, &b));
	assert_false(bind_addr_same(&a, &c));
	assert_false(bind_addr_same_host(&a, &c));
	/* [::] IPv6 only and the dual-stack "*" are different sockets. */
	if (e.sa.ss_family == AF_INET6)
		assert_false(bind_addr_same(&d, &e));
}

static void
overlapping_sockets(void **state)
{
	(void)state;
	assert_true(overlap("127.0.0.1:7", "127.0.0.1:7"));
	assert_true(overlap("*:7", "127.0.0.1:7"));
	assert_true(overlap("*:7", "7"));
	assert_true(overlap("0.0.0.0:7", "127.0.0.1:7"));
	assert_true(overlap("[::]:7", "[::1]:7"));
	assert_true(overlap("[::1]:7", "[::1]:7"));
	if (one("*:7").sa.ss_family == AF_INET6)
		assert_true(overlap("*:7", "[::1]:7"));
	assert_false(overlap("127.0.0.1:7", "127.0.0.2:7"));
	assert_false(overlap("127.0.0.1:7", "127.0.0.1:8"));
	assert_false(overlap("[::1]:7", "127.0.0.1:7"));
	/* IPv6 only: 0.0.0.0 and [::] can both be bound. */
	assert_false(overlap("[::]:7", "0.0.0.0:7"));
	assert_false(overlap("[::]:7", "127.0.0.1:7"));
	assert_false(overlap("[fe80::1%1]:7", "[fe80::1%2]:7"));
	/* Port 0: each gets a port of its own. */
	assert_false(overlap("127.0.0.1:0", "127.0.0.1:0"));
	assert_false(overlap("*:0", "127.0.0.1:0"));
}

int
run_addr_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_and_port),
		cmocka_unit_test(bracketed_ipv6),
		cmocka_unit_test(bracketed_ipv6_with_scope),
		cmocka_unit_test(star_means_any),
		cmocka_unit_test(bare_port_means_any),
		cmocka_unit_test(name_is_kept),
		cmocka_unit_test(port_bounds),
		cmocka_unit_test(port_too_big),
		cmocka_unit_test(port_missing),
		cmocka_unit_test(port_not_a_number),
		cmocka_unit_test(unbracketed_ipv6_needs_brackets),
		cmocka_unit_test(unclosed_bracket),
		cmocka_unit_test(junk_after_bracket),
		cmocka_unit_test(empty_spec),
		cmocka_unit_test(host_too_long),
		cmocka_unit_test(bad_host_characters),
		cmocka_unit_test(format_ipv4),
		cmocka_unit_test(format_ipv6),
		cmocka_unit_test(format_high_port),
		cmocka_unit_test(resolve_star_is_one_dual_stack_socket),
		cmocka_unit_test(resolve_numeric),
		cmocka_unit_test(same_socket),
		cmocka_unit_test(overlapping_sockets),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
