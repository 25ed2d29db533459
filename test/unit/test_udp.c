/*
 * Tests for udp.h on real loopback sockets: what a datagram's reception
 * says (its length when cut, its destination), the guards, the reply's
 * source address, and a socket's thread taking a reload's rules; and for
 * admit.h's decision on a datagram (udp_rate, [access], the shared
 * bucket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "admit.h"
#include "config.h"
#include "log.h"
#include "stats.h"
#include "udp.h"

/* A socket of family bound to host, port 0; its address in *sa. */
static int
bound(int family, const char *host, bool v6only, bool pktinfo,
    struct sockaddr_storage *sa)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	socklen_t len = sizeof(*sa);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), only = v6only;

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		assert_int_equal(inet_pton(AF_INET, host, &sin->sin_addr), 1);
	else {
		assert_int_equal(inet_pton(AF_INET6, host, &sin6->sin6_addr),
		    1);
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    &only, sizeof(only)), 0);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)sa, family == AF_INET ?
	    sizeof(*sin) : sizeof(*sin6)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	if (pktinfo)
		assert_int_equal(udp_want_destination(fd, family), 0);
	return fd;
}

/* IPv4 address host, port port. */
static struct sockaddr_in
v4(const char *host, unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	return sin;
}

static unsigned short
port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* Waits up to 5 s for fd to be readable. */
static void
readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 5000) != 1)
		fail_msg("nothing to read on %d within 5 s", fd);
}

/* Sends n bytes of data from client to the address to. */
static void
send_to(int client, const void *data, size_t n, const void *to,
    socklen_t len)
{
	assert_int_equal(sendto(client, data, n, 0, (const struct sockaddr *)to,
	    len), (ssize_t)n);
}

static void
recv_says_length_and_destination(void **state)
{
	struct sockaddr_storage srv, cli;
	struct udp_dgram d;
	char buf[64];
	int s, c;

	(void)state;
	s = bound(AF_INET, "127.0.0.1", true, true, &srv);
	c = bound(AF_INET, "127.0.0.1", true, false, &cli);
	send_to(c, "hello", 5, &srv, sizeof(struct sockaddr_in));
	readable(s);
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(d.len, 5);
	assert_false(d.cut);
	assert_int_equal(port_of(&d.from), port_of(&cli));
	assert_int_equal(d.to_family, AF_INET);
	assert_int_equal(d.to4.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(d.local4.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(udp_check(&d), UDP_ECHO);

	/* An empty datagram is one too, and is echoed. */
	send_to(c, "", 0, &srv, sizeof(struct sockaddr_in));
	readable(s);
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), 0);
	assert_false(d.cut);
	assert_int_equal(udp_check(&d), UDP_ECHO);

	/* Nothing waiting: EAGAIN, not a block. */
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), -1);
	assert_int_equal(errno, EAGAIN);
	close(s);
	close(c);
}

/*
 * A datagram longer than the buffer says its whole length, is dropped
 * and never sent back cut; the next one is read whole.  (echod's buffer
 * is larger than any UDP datagram but an IPv6 jumbogram, so loopback
 * cannot show this end to end: a small buffer shows it here.)
 */
static void
cut_datagram_is_dropped(void **state)
{
	struct sockaddr_storage srv, cli;
	struct udp_dgram d;
	char big[100], buf[16];
	int s, c;

	(void)state;
	memset(big, 'x', sizeof(big));
	s = bound(AF_INET, "127.0.0.1", true, true, &srv);
	c = bound(AF_INET, "127.0.0.1", true, false, &cli);
	send_to(c, big, sizeof(big), &srv, sizeof(struct sockaddr_in));
	send_to(c, "next", 4, &srv, sizeof(struct sockaddr_in));
	readable(s);
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), sizeof(big));
	assert_true(d.cut);
	assert_int_equal(d.len, sizeof(big));
	assert_int_equal(udp_check(&d), UDP_TRUNCATED);
	assert_int_equal(udp_reply(s, &d, buf), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), 4);
	assert_false(d.cut);
	assert_memory_equal(buf, "next", 4);
	close(s);
	close(c);
}

/* A datagram as received, for the guards. */
static struct udp_dgram
dgram(const char *from, unsigned short port, const char *to,
    const char *local)
{
	struct sockaddr_in6 *sin6;
	struct udp_dgram d;
	struct sockaddr_in sin;

	memset(&d, 0, sizeof(d));
	if (strchr(from, ':') != NULL) {
		sin6 = (struct sockaddr_in6 *)&d.from;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, from, &sin6->sin6_addr),
		    1);
		d.fromlen = sizeof(*sin6);
	} else {
		sin = v4(from, port);
		memcpy(&d.from, &sin, sizeof(sin));
		d.fromlen = sizeof(sin);
	}
	if (to != NULL && strchr(to, ':') != NULL) {
		d.to_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, to, &d.to6), 1);
	} else if (to != NULL) {
		d.to_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, to, &d.to4), 1);
		assert_int_equal(inet_pton(AF_INET, local, &d.local4), 1);
	}
	return d;
}

static void
guards(void **state)
{
	static const unsigned short answering[] = { 0, 7, 13, 17, 19, 37 };
	static const unsigned short other[] = { 1, 8, 53, 1024, 65535 };
	/* From, to and the address the kernel would answer from. */
	static const struct {
		const char *from, *to, *local;
		enum udp_verdict v;
	} cases[] = {
		/* To a broadcast or multicast address, or to one not known. */
		{ "192.0.2.1", "255.255.255.255", "192.0.2.7", UDP_BROADCAST },
		{ "192.0.2.1", "224.0.0.1", "192.0.2.7", UDP_BROADCAST },
		{ "192.0.2.1", "239.1.2.3", "0.0.0.0", UDP_BROADCAST },
		/* Directed broadcast: the kernel would answer from another. */
		{ "192.0.2.1", "192.0.2.255", "192.0.2.7", UDP_BROADCAST },
		{ "::ffff:192.0.2.1", "ff02::1", NULL, UDP_BROADCAST },
		{ "2001:db8::1", "ff05::2", NULL, UDP_BROADCAST },
		{ "192.0.2.1", NULL, NULL, UDP_BROADCAST },
		/* From one: an answer would go to many, or nowhere. */
		{ "224.0.0.5", "192.0.2.7", "192.0.2.7", UDP_BROADCAST },
		{ "255.255.255.255", "192.0.2.7", "192.0.2.7", UDP_BROADCAST },
		{ "0.0.0.0", "192.0.2.7", "192.0.2.7", UDP_BROADCAST },
		{ "::ffff:224.1.2.3", "192.0.2.7", "192.0.2.7", UDP_BROADCAST },
		{ "::", "2001:db8::7", NULL, UDP_BROADCAST },
		{ "ff02::1", "2001:db8::7", NULL, UDP_BROADCAST },
		/* Unicast both ways, IPv4 seen on an IPv6 socket too. */
		{ "::ffff:192.0.2.1", "192.0.2.7", "192.0.2.7", UDP_ECHO },
		{ "192.0.2.1", "192.0.2.7", "0.0.0.0", UDP_ECHO },
		{ "2001:db8::1", "2001:db8::7", NULL, UDP_ECHO },
	};
	struct udp_dgram d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(answering) / sizeof(answering[0]); i++) {
		d = dgram("192.0.2.1", answering[i], "192.0.2.7", "192.0.2.7");
		assert_int_equal(udp_check(&d), UDP_PORT);
		d = dgram("2001:db8::1", answering[i], "2001:db8::7", NULL);
		assert_int_equal(udp_check(&d), UDP_PORT);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		d = dgram("192.0.2.1", other[i], "192.0.2.7", "192.0.2.7");
		assert_int_equal(udp_check(&d), UDP_ECHO);
	}
	/* Cut comes first: it is not even looked at. */
	d = dgram("192.0.2.1", 19, "192.0.2.7", "192.0.2.7");
	d.cut = true;
	assert_int_equal(udp_check(&d), UDP_TRUNCATED);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = dgram(cases[i].from, 5000, cases[i].to, cases[i].local);
		if (udp_check(&d) != cases[i].v)
			fail_msg("from %s to %s (local %s): verdict %d, "
			    "want %d", cases[i].from,
			    cases[i].to ? cases[i].to : "?",
			    cases[i].local ? cases[i].local : "-",
			    udp_check(&d), cases[i].v);
	}
}

/*
 * Sends "ping" from a client bound to from to the server s at to (its
 * port), echoes it with udp_reply, and checks the answer came from to.
 */
static void
answer_from(int s, int family, const char *from, const char *to,
    unsigned short port)
{
	struct sockaddr_storage cli, dst, got;
	socklen_t len = sizeof(got);
	struct udp_dgram d;
	char buf[16];
	int c;

	c = bound(family, from, true, false, &cli);
	memset(&dst, 0, sizeof(dst));
	dst.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		assert_int_equal(inet_pton(AF_INET, to,
		    &((struct sockaddr_in *)&dst)->sin_addr), 1);
		((struct sockaddr_in *)&dst)->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, to,
		    &((struct sockaddr_in6 *)&dst)->sin6_addr), 1);
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(port);
	}
	send_to(c, "ping", 4, &dst, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	readable(s);
	assert_int_equal(udp_recv(s, buf, sizeof(buf), &d), 4);
	assert_int_equal(udp_check(&d), UDP_ECHO);
	assert_int_equal(udp_reply(s, &d, buf), 0);
	readable(c);
	assert_int_equal(recvfrom(c, buf, sizeof(buf), 0,
	    (struct sockaddr *)&got, &len), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(port_of(&got), port);
	if (family == AF_INET)
		assert_memory_equal(&((struct sockaddr_in *)&got)->sin_addr,
		    &((struct sockaddr_in *)&dst)->sin_addr, 4);
	else
		assert_memory_equal(&((struct sockaddr_in6 *)&got)->sin6_addr,
		    &((struct sockaddr_in6 *)&dst)->sin6_addr, 16);
	close(c);
}

static bool
has_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/*
 * A socket bound to every address answers from the address a datagram
 * was sent to (127.0.0.2 is this host's as much as 127.0.0.1): a
 * dual-stack one too, for IPv4.
 */
static void
reply_comes_from_where_it_was_sent(void **state)
{
	struct sockaddr_storage srv;
	int s;

	(void)state;
	s = bound(AF_INET, "0.0.0.0", true, true, &srv);
	answer_from(s, AF_INET, "127.0.0.1", "127.0.0.2", port_of(&srv));
	answer_from(s, AF_INET, "127.0.0.1", "127.0.0.1", port_of(&srv));
	close(s);
	if (!has_ipv6_loopback())
		return;		/* the IPv4 half is checked already */
	s = bound(AF_INET6, "::", false, true, &srv);
	answer_from(s, AF_INET, "127.0.0.1", "127.0.0.3", port_of(&srv));
	answer_from(s, AF_INET6, "::1", "::1", port_of(&srv));
	close(s);
}

/* Waits up to 5 s for *counter to pass before. */
static void
counted(atomic_ullong *counter, unsigned long long before, const char *what)
{
	struct timespec t = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500 && atomic_load(counter) <= before; i++)
		nanosleep(&t, NULL);
	if (atomic_load(counter) <= before)
		fail_msg("no datagram %s within 5 s", what);
}

/* The thread echoes, takes a reload's rules, and stops when told. */
static void
thread_takes_new_rules(void **state)
{
	struct config *open = config_of_text("[server]\nudp_rate = 0\n");
	struct config *closed = config_of_text("[access]\n"
	    "deny = 127.0.0.1\n");
	struct sockaddr_storage srv, cli;
	unsigned long long before;
	unsigned long sockets;
	struct udp *u;
	char buf[16];
	int s, c;

	(void)state;
	log_set_level(LEVEL_ERROR);
	s = bound(AF_INET, "127.0.0.1", true, true, &srv);
	c = bound(AF_INET, "127.0.0.1", true, false, &cli);
	sockets = atomic_load(&stats.udp.sockets);
	assert_non_null(u = udp_start(s, "udp://test", open));
	assert_int_equal(atomic_load(&stats.udp.sockets), sockets + 1);
	send_to(c, "one", 3, &srv, sizeof(struct sockaddr_in));
	readable(c);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "one", 3);

	before = atomic_load(&stats.udp.denied);
	udp_retune(u, closed);
	send_to(c, "two", 3, &srv, sizeof(struct sockaddr_in));
	counted(&stats.udp.denied, before, "denied");
	/* Denied is counted instead of sent: nothing came. */
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);

	udp_stop(u);
	assert_int_equal(atomic_load(&stats.udp.sockets), sockets);
	close(s);
	close(c);
	config_unref(open);
	config_unref(closed);
	log_set_level(LEVEL_INFO);
}

static struct {
	int s, c;
	struct sockaddr_storage srv;
	unsigned long long received, errors;
} broken;

/* Five datagrams to a socket that can no longer send. */
static void
five_unanswerable(void)
{
	int i;

	for (i = 0; i < 5; i++)
		send_to(broken.c, "abc", 3, &broken.srv,
		    sizeof(struct sockaddr_in));
	for (i = 0; i < 5; i++)
		counted(&stats.udp.send_errors, broken.errors + (unsigned)i,
		    "failing to be sent");
}

/*
 * A reply that cannot be sent (the socket's sending side is shut down:
 * EPIPE) is counted, said once for a burst, and the thread serves on.
 */
static void
send_error_counted_thread_serves_on(void **state)
{
	struct config *cfg = config_of_text("[server]\nudp_rate = 0\n");
	struct sockaddr_storage cli;
	const char *out;
	struct udp *u;

	(void)state;
	log_set_level(LEVEL_WARNING);
	broken.s = bound(AF_INET, "127.0.0.1", true, true, &broken.srv);
	broken.c = bound(AF_INET, "127.0.0.1", true, false, &cli);
	/* Unconnected: ENOTCONN, but the sending side is shut all the same. */
	shutdown(broken.s, SHUT_WR);
	broken.received = atomic_load(&stats.udp.received);
	broken.errors = atomic_load(&stats.udp.send_errors);
	assert_non_null(u = udp_start(broken.s, "udp://broken", cfg));
	out = capture_stderr(five_unanswerable);
	assert_int_equal(atomic_load(&stats.udp.send_errors),
	    broken.errors + 5);
	assert_int_equal(atomic_load(&stats.udp.received),
	    broken.received + 5);
	assert_contains(out, "udp://broken: cannot send 3 bytes back to "
	    "127.0.0.1:");
	assert_contains(out, ": Broken pipe (0 more send errors since the "
	    "last such line)");
	assert_int_equal(lines(out), 1);
	udp_stop(u);
	close(broken.s);
	close(broken.c);
	config_unref(cfg);
	log_set_level(LEVEL_INFO);
}

/* admit_datagram() from ip, with rules and a table of buckets. */
static enum admit_verdict
from_ip(struct admit_rates *r, const struct admit_rules *rules,
    const char *ip)
{
	struct sockaddr_in sin = v4(ip, 5000);

	return admit_datagram(r, rules, (const struct sockaddr *)&sin);
}

static void
datagram_rate_and_access(void **state)
{
	struct config *cfg = config_of_text("[server]\nudp_rate = 3\n"
	    "[access]\ndeny = 192.0.2.66\n");
	struct config *off = config_of_text("[server]\nudp_rate = 0\n");
	struct admit_rules *rules, *unlimited;
	struct admit_rates r;
	int i;

	(void)state;
	log_set_level(LEVEL_ERROR);
	assert_non_null(rules = admit_rules_new(cfg));
	assert_non_null(unlimited = admit_rules_new(off));
	assert_int_equal(rules->rate, 3);
	assert_int_equal(rules->n_deny, 1);
	assert_int_equal(admit_rates_init(&r, "udp_rate", 2), 0);

	/* A bucket of 3 a second, full at first; others have their own. */
	for (i = 0; i < 3; i++)
		assert_int_equal(from_ip(&r, rules, "192.0.2.1"), ADMIT_OK);
	assert_int_equal(from_ip(&r, rules, "192.0.2.1"), ADMIT_RATE);
	assert_int_equal(from_ip(&r, rules, "192.0.2.2"), ADMIT_OK);
	/* Denied before any bucket is taken. */
	assert_int_equal(from_ip(&r, rules, "192.0.2.66"), ADMIT_DENIED);
	assert_int_equal(r.table.n, 2);
	/* Past the table's 2 sources, newcomers share one bucket. */
	for (i = 0; i < 3; i++)
		assert_int_equal(from_ip(&r, rules, "192.0.2.10"), ADMIT_OK);
	assert_int_equal(from_ip(&r, rules, "192.0.2.11"), ADMIT_RATE_SHARED);
	/* udp_rate = 0: no limit, and no bucket. */
	for (i = 0; i < 100; i++)
		assert_int_equal(from_ip(&r, unlimited, "192.0.2.1"),
		    ADMIT_OK);
	admit_rates_free(&r);
	admit_rules_free(rules);
	admit_rules_free(unlimited);
	config_unref(cfg);
	config_unref(off);
	log_set_level(LEVEL_INFO);
}

int
run_udp_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recv_says_length_and_destination),
		cmocka_unit_test(cut_datagram_is_dropped),
		cmocka_unit_test(guards),
		cmocka_unit_test(reply_comes_from_where_it_was_sent),
		cmocka_unit_test(thread_takes_new_rules),
		cmocka_unit_test(send_error_counted_thread_serves_on),
		cmocka_unit_test(datagram_rate_and_access),
	};

	return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
