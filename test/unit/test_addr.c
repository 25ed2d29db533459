/* Tests for addr.h: listen spec parsing and socket address formatting. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

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

/* Expects spec to parse as kind, host, port and bracketed. */
static void
parses_as(const char *spec, enum transport kind, const char *host,
    unsigned port, int bracketed)
{
	struct listen_spec ls = parse_ok(spec);

	assert_int_equal(ls.kind, kind);
	assert_string_equal(ls.host, host);
	assert_int_equal(ls.port, port);
	assert_int_equal(ls.bracketed, bracketed);
	assert_string_equal(ls.path, "");
}

/* tcp:// is the bare form spelt out; every bare form works after it. */
static void
tcp_scheme_is_the_bare_form(void **state)
{
	(void)state;
	parses_as("tcp://127.0.0.1:7007", TRANSPORT_TCP, "127.0.0.1", 7007, 0);
	parses_as("tcp://[::1]:7", TRANSPORT_TCP, "::1", 7, 1);
	parses_as("tcp://*:7", TRANSPORT_TCP, "", 7, 0);
	parses_as("tcp://7", TRANSPORT_TCP, "", 7, 0);
	parses_as("tcp://localhost:80", TRANSPORT_TCP, "localhost", 80, 0);
	parses_as("127.0.0.1:7", TRANSPORT_TCP, "127.0.0.1", 7, 0);
	parses_as("7", TRANSPORT_TCP, "", 7, 0);
}

static void
udp_scheme(void **state)
{
	(void)state;
	parses_as("udp://127.0.0.1:7", TRANSPORT_UDP, "127.0.0.1", 7, 0);
	parses_as("udp://[fe80::1%lo]:7", TRANSPORT_UDP, "fe80::1%lo", 7, 1);
	parses_as("udp://*:0", TRANSPORT_UDP, "", 0, 0);
	parses_as("udp://65535", TRANSPORT_UDP, "", 65535, 0);
	parses_as("udp://my-host.example:7", TRANSPORT_UDP,
	    "my-host.example", 7, 0);
}

/* The HOST:PORT reasons hold after a scheme, naming the whole value. */
static void
udp_and_tcp_bad_host_port(void **state)
{
	(void)state;
	assert_contains(parse_fails("udp://"), "'udp://' has no port");
	assert_contains(parse_fails("tcp://*:"), "'tcp://*:' has no port");
	assert_contains(parse_fails("udp://[::1]"),
	    "'udp://[::1]' needs ':PORT' after ']'");
	assert_contains(parse_fails("udp://::1:7"), "in brackets");
	assert_contains(parse_fails("udp://1.2.3.4:65536"), "bad port");
	assert_contains(parse_fails("tcp://a b:7"), "bad host name");
	assert_contains(parse_fails("udp://:7"), "has no host");
	assert_contains(parse_fails("tcp://tcp://1.2.3.4:7"),
	    "'tcp://tcp://1.2.3.4:7' has a second scheme after the first");
	assert_contains(parse_fails("udp://unix:/x"), "second scheme");
}

static void
unix_path(void **state)
{
	(void)state;
	struct listen_spec ls = parse_ok("unix:/run/echod/echod.sock");
	char spec[ADDR_PATH_MAX + 8];

	assert_int_equal(ls.kind, TRANSPORT_UNIX);
	assert_string_equal(ls.path, "/run/echod/echod.sock");
	assert_string_equal(ls.host, "");
	assert_int_equal(ls.port, 0);
	/* The URL form, an empty authority: kept as written. */
	assert_string_equal(parse_ok("unix:///run/x").path, "///run/x");
	assert_string_equal(parse_ok("unix:/a b/c;d:e=f").path, "/a b/c;d:e=f");
	assert_string_equal(parse_ok("unix:/tmp/\xc3\xa9t\xc3\xa9").path,
	    "/tmp/\xc3\xa9t\xc3\xa9");
	assert_string_equal(parse_ok("unix:/a/../b").path, "/a/../b");
	/* sizeof(sun_path) - 1 bytes is the longest. */
	assert_int_equal(ADDR_PATH_MAX, 107);
	strcpy(spec, "unix:/");
	memset(spec + 6, 'a', ADDR_PATH_MAX - 1);
	spec[5 + ADDR_PATH_MAX] = '\0';
	assert_int_equal(strlen(parse_ok(spec).path), ADDR_PATH_MAX);
}

/* A value and a part of the reason it is refused with. */
struct refusal {
	const char *spec, *reason;
};

static void
refused_for(const struct refusal *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_contains(parse_fails(v[i].spec), v[i].reason);
}

#define REFUSED_FOR(v) refused_for((v), sizeof(v) / sizeof((v)[0]))

static void
unix_bad_paths(void **state)
{
	(void)state;
	static const struct refusal bad[] = {
		{ "unix:", "'unix:' has no path (unix:/PATH)" },
		{ "unix:@echod", "'unix:@echod' is an abstract socket, which "
		    "has no file permissions: use unix:/PATH" },
		{ "unix:@", "abstract socket" },
		{ "unix:echod.sock", "'unix:echod.sock' has a relative path "
		    "(write unix:/PATH: the working directory is / under "
		    "systemd)" },
		{ "unix:./echod.sock", "relative path" },
		{ "unix://run/x", "'unix://run/x' is ambiguous: unix://NAME "
		    "reads NAME as a host; write unix:/PATH" },
		{ "unix://", "ambiguous" },
		{ "unix:/a\tb", "'unix:/a\\x09b' has a control, invisible or "
		    "invalid UTF-8 character or a '\\' in its path" },
		{ "unix:/a\x1b", "control" },
		{ "unix:/a\xff", "invalid UTF-8" },
		{ "unix:/a\xe2\x80\xae", "invisible" },
		{ "unix:/a\\b", "'\\'" },
		{ "unix:/a ;b", "'unix:/a ;b' has ' ;' in its path, which "
		    "starts a comment in the configuration file" },
		{ "unix:/a ", "'unix:/a ' has a path ending in a blank, which "
		    "the configuration file would drop" },
		{ "unix:/", "'unix:/' has a path that names a directory (it "
		    "ends in '/', '/.' or '/..')" },
		{ "unix:/run/", "names a directory" },
		{ "unix:/run/.", "names a directory" },
		{ "unix:/run/..", "names a directory" },
	};
	char spec[ADDR_PATH_MAX + 8];

	REFUSED_FOR(bad);
	strcpy(spec, "unix:/");
	memset(spec + 6, 'a', ADDR_PATH_MAX);
	spec[6 + ADDR_PATH_MAX] = '\0';
	assert_contains(parse_fails(spec),
	    "has a path too long (at most 107 bytes)");
}

static void
unknown_and_malformed_schemes(void **state)
{
	(void)state;
	static const struct refusal bad[] = {
		{ "sctp://127.0.0.1:7", "'sctp://127.0.0.1:7' has an unknown "
		    "scheme 'sctp' (tcp://, udp:// or unix:)" },
		{ "http:/x", "unknown scheme 'http'" },
		{ "x+y.z-1://a:7", "unknown scheme 'x+y.z-1'" },
		{ "tcp:/x", "'tcp:/x' needs '//' after 'tcp:' "
		    "(tcp://HOST:PORT)" },
		{ "udp:7", "'udp:7' needs '//' after 'udp:' "
		    "(udp://HOST:PORT)" },
		{ "tcp:", "needs '//'" },
		{ "udp:/127.0.0.1:7", "needs '//'" },
		/* Schemes are lowercase: one spelling for every file. */
		{ "TCP://127.0.0.1:7", "'TCP://127.0.0.1:7' has its scheme "
		    "in capitals: write 'tcp:' (schemes are lowercase)" },
		{ "Udp://*:7", "write 'udp:'" },
		{ "UNIX:/run/x", "write 'unix:'" },
		{ "uDp:7", "write 'udp:'" },
	};
	char spec[64];

	REFUSED_FOR(bad);
	/* A long name is cut in the reason, which stays whole. */
	memset(spec, 'a', 40);
	strcpy(spec + 40, "://x:7");
	assert_contains(parse_fails(spec),
	    "unknown scheme 'aaaaaaaaaaaaaaaa' (tcp://");
	/* Names that only start like a scheme are hosts, as before. */
	assert_string_equal(parse_ok("tcpx:7").host, "tcpx");
	assert_string_equal(parse_ok("unixhost:7").host, "unixhost");
	assert_string_equal(parse_ok("udp.example:7").host, "udp.example");
}

static void
transport_names(void **state)
{
	(void)state;
	assert_string_equal(transport_name(TRANSPORT_TCP), "tcp");
	assert_string_equal(transport_name(TRANSPORT_UDP), "udp");
	assert_string_equal(transport_name(TRANSPORT_UNIX), "unix");
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

/* spec's one socket, formatted by bind_addr_format(). */
static const char *
formatted(const char *spec)
{
	static char buf[ADDR_STRLEN];
	struct bind_addr b = one(spec);

	bind_addr_format(&b, buf, sizeof(buf));
	return buf;
}

/* Logs keep TCP as it was and tell UDP by its scheme. */
static void
format_with_scheme(void **state)
{
	(void)state;
	struct bind_addr u = one("udp://[::1]:7");
	char buf[ADDR_STRLEN];

	assert_string_equal(formatted("127.0.0.1:7"), "127.0.0.1:7");
	assert_string_equal(formatted("tcp://[::1]:7"), "[::1]:7");
	assert_string_equal(formatted("udp://127.0.0.1:7"),
	    "udp://127.0.0.1:7");
	assert_string_equal(formatted("udp://[::1]:7"), "udp://[::1]:7");
	assert_string_equal(formatted("unix:/run/x.sock"), "unix:/run/x.sock");
	/* The socket address alone has no transport. */
	addr_format((const struct sockaddr *)&u.sa, u.len, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:7");
	/* Too small a buffer: cut, terminated. */
	bind_addr_format(&u, buf, 8);
	assert_string_equal(buf, "udp://[");
}

static void
resolve_udp(void **state)
{
	(void)state;
	struct bind_addr a = one("udp://127.0.0.1:7"), b = one("udp://*:7");

	assert_int_equal(a.kind, TRANSPORT_UDP);
	assert_int_equal(a.sa.ss_family, AF_INET);
	assert_int_equal(b.kind, TRANSPORT_UDP);
	assert_true(addr_is_any(&b));
	if (b.sa.ss_family == AF_INET6)
		assert_false(b.v6only);
	assert_true(one("udp://[::1]:7").v6only);
	assert_int_equal(one("tcp://127.0.0.1:7").kind, TRANSPORT_TCP);
	assert_int_equal(one("*:7").kind, TRANSPORT_TCP);
}

static void
resolve_unix(void **state)
{
	(void)state;
	struct bind_addr a = one("unix:/run/echod.sock");
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a.sa;

	assert_int_equal(a.kind, TRANSPORT_UNIX);
	assert_int_equal(sun->sun_family, AF_UNIX);
	assert_string_equal(sun->sun_path, "/run/echod.sock");
	assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/run/echod.sock") + 1);
	assert_false(a.v6only);
	assert_false(addr_is_any(&a));
	/* "//" and "/./" are "/": the same file. ".." may not be. */
	assert_string_equal(formatted("unix:/a//b/./c"), "unix:/a/b/c");
	assert_string_equal(formatted("unix:///run/x"), "unix:/run/x");
	assert_string_equal(formatted("unix:/./a/.b/./c"), "unix:/a/.b/c");
	assert_string_equal(formatted("unix:/a/../b"), "unix:/a/../b");
}

/* A Unix socket address as accept() or getsockname() gives it. */
static socklen_t
sun_of(struct sockaddr_un *sun, const char *path, size_t n)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static void
format_unix_addresses(void **state)
{
	(void)state;
	struct sockaddr_un sun;
	char buf[ADDR_STRLEN], path[sizeof(sun.sun_path)];
	socklen_t len;

	len = sun_of(&sun, "/run/x.sock", 12);
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "unix:/run/x.sock");
	/* Without the NUL in the length, and unterminated at all. */
	len = sun_of(&sun, "/run/x.sock", 11);
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "unix:/run/x.sock");
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	len = sun_of(&sun, path, sizeof(path));
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 5 + sizeof(path));
	/* A client's socket has no name. */
	len = sun_of(&sun, "", 0);
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "unix:(unnamed)");
	/* Abstract names may hold any byte: escaped. */
	len = sun_of(&sun, "\0echod\x01\0x", 9);
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "unix:@echod\\x01\\x00x");
	len = sun_of(&sun, "/a\x1b", 4);
	addr_format((const struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "unix:/a\\x1b");
}

/* TCP and UDP have ports of their own; Unix sockets clash by path. */
static void
kinds_overlap(void **state)
{
	(void)state;
	struct bind_addr t = one("127.0.0.1:7"), u = one("udp://127.0.0.1:7"),
	    x = one("unix:/a"), y = one("unix:/x//a");

	assert_false(overlap("*:7", "udp://*:7"));
	assert_false(overlap("127.0.0.1:7", "udp://127.0.0.1:7"));
	assert_false(overlap("udp://*:7", "127.0.0.1:7"));
	assert_true(overlap("tcp://127.0.0.1:7", "127.0.0.1:7"));
	assert_true(overlap("tcp://*:7", "7"));
	assert_true(overlap("udp://*:7", "udp://7"));
	assert_true(overlap("udp://*:7", "udp://127.0.0.1:7"));
	assert_true(overlap("udp://[::1]:7", "udp://[::1]:7"));
	assert_false(overlap("udp://[::]:7", "udp://0.0.0.0:7"));
	assert_false(overlap("udp://127.0.0.1:0", "udp://127.0.0.1:0"));
	assert_false(overlap("udp://127.0.0.1:7", "udp://127.0.0.2:7"));
	assert_true(overlap("unix:/a", "unix:/a"));
	assert_true(overlap("unix:/x/a", "unix:/x//a"));
	assert_true(overlap("unix:/x/a", "unix:///x/./a"));
	assert_false(overlap("unix:/a", "unix:/b"));
	assert_false(overlap("unix:/a", "unix:/a2"));
	assert_false(overlap("unix:/a", "*:7"));
	assert_false(overlap("unix:/a", "udp://*:0"));
	assert_false(bind_addr_same(&t, &u));
	assert_false(bind_addr_same_host(&t, &u));
	assert_true(bind_addr_same(&u, &u));
	assert_true(bind_addr_same(&x, &x));
	assert_true(bind_addr_same_host(&x, &x));
	assert_false(bind_addr_same(&x, &y));
	assert_false(bind_addr_same(&x, &t));
	assert_false(bind_addr_same_host(&t, &x));
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
		cmocka_unit_test(tcp_scheme_is_the_bare_form),
		cmocka_unit_test(udp_scheme),
		cmocka_unit_test(udp_and_tcp_bad_host_port),
		cmocka_unit_test(unix_path),
		cmocka_unit_test(unix_bad_paths),
		cmocka_unit_test(unknown_and_malformed_schemes),
		cmocka_unit_test(transport_names),
		cmocka_unit_test(format_ipv4),
		cmocka_unit_test(format_ipv6),
		cmocka_unit_test(format_high_port),
		cmocka_unit_test(resolve_star_is_one_dual_stack_socket),
		cmocka_unit_test(resolve_numeric),
		cmocka_unit_test(same_socket),
		cmocka_unit_test(overlapping_sockets),
		cmocka_unit_test(format_with_scheme),
		cmocka_unit_test(resolve_udp),
		cmocka_unit_test(resolve_unix),
		cmocka_unit_test(format_unix_addresses),
		cmocka_unit_test(kinds_overlap),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
