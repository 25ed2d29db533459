/*
 * Tests for relay.h's header reading, over socket pairs: only the
 * header's bytes are taken, however they arrive, and every way a header
 * can fail says why.  And admission behind a proxy (admit.h): the proxy
 * is never counted, its clients are, from several threads at once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "admit.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "relay.h"

#define V1_HDR "PROXY TCP4 192.0.2.1 198.51.100.2 56324 7\r\n"
#define DATA "hello, after the header\n"

static const unsigned char v2_hdr[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	0x21, 0x11, 0x00, 0x0c + 7,		/* PROXY, TCP over IPv4 */
	192, 0, 2, 9, 198, 51, 100, 2,		/* source, destination */
	0xdc, 0x04, 0x00, 0x07,			/* ports 56324 and 7 */
	0x04, 0x00, 0x04, 'n', 'o', 'o', 'p',	/* a NOOP TLV, skipped */
};

static const unsigned char v2_local[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	0x20, 0x00, 0x00, 0x00,
};

struct pair {
	int rd, wr;	/* echod's end, the proxy's end */
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->rd = sv[0];
	p->wr = sv[1];
}

static void
pair_close(struct pair *p)
{
	close(p->rd);
	if (p->wr >= 0)
		close(p->wr);
}

static void
put(struct pair *p, const void *buf, size_t n)
{
	assert_int_equal(write(p->wr, buf, n), (ssize_t)n);
}

/* The bytes left in the socket after the header are exactly want. */
static void
left_is(struct pair *p, const char *want)
{
	char got[256];
	ssize_t n;

	shutdown(p->wr, SHUT_WR);
	n = recv(p->rd, got, sizeof(got) - 1, MSG_WAITALL);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void
read_fails(struct pair *p, unsigned versions, long long ms, const char *why)
{
	struct proxy_hdr h;
	char got[128] = "";

	assert_int_equal(relay_read_header(p->rd, versions, ms, &h, got,
	    sizeof(got)), -1);
	assert_string_equal(got, why);
}

static void
v1_then_data(void **state)
{
	struct sockaddr_in *src;
	struct proxy_hdr h;
	struct pair p;
	char why[128];

	(void)state;
	pair_open(&p);
	put(&p, V1_HDR DATA, strlen(V1_HDR DATA));
	assert_int_equal(relay_read_header(p.rd, PROXY_ANY, 1000, &h, why,
	    sizeof(why)), 0);
	assert_int_equal(h.len, strlen(V1_HDR));
	assert_true(h.addrs);
	src = (struct sockaddr_in *)&h.src;
	assert_int_equal(src->sin_family, AF_INET);
	assert_int_equal(ntohs(src->sin_port), 56324);
	left_is(&p, DATA);
	pair_close(&p);
}

static void
v2_then_data(void **state)
{
	unsigned char msg[sizeof(v2_hdr) + sizeof(DATA) - 1];
	struct proxy_hdr h;
	struct pair p;
	char why[128];

	(void)state;
	memcpy(msg, v2_hdr, sizeof(v2_hdr));
	memcpy(msg + sizeof(v2_hdr), DATA, sizeof(DATA) - 1);
	pair_open(&p);
	put(&p, msg, sizeof(msg));
	assert_int_equal(relay_read_header(p.rd, PROXY_V2, 1000, &h, why,
	    sizeof(why)), 0);
	assert_int_equal(h.len, sizeof(v2_hdr));
	assert_int_equal(h.command, PROXY_CMD_PROXY);
	left_is(&p, DATA);
	pair_close(&p);
}

/* A LOCAL header alone: nothing after it, and nothing lost. */
static void
v2_local_alone(void **state)
{
	struct proxy_hdr h;
	struct pair p;
	char why[128];

	(void)state;
	pair_open(&p);
	put(&p, v2_local, sizeof(v2_local));
	assert_int_equal(relay_read_header(p.rd, PROXY_ANY, 1000, &h, why,
	    sizeof(why)), 0);
	assert_int_equal(h.command, PROXY_CMD_LOCAL);
	assert_false(h.addrs);
	left_is(&p, "");
	pair_close(&p);
}

/* The proxy's end, writing a header and data a byte at a time. */
static void *
dribble(void *arg)
{
	struct pair *p = arg;
	const char *msg = V1_HDR DATA;
	size_t i;

	for (i = 0; msg[i] != '\0'; i++)
		if (write(p->wr, msg + i, 1) != 1)
			break;
	return NULL;
}

static void
byte_by_byte(void **state)
{
	struct proxy_hdr h;
	struct pair p;
	pthread_t tid;
	char why[128];

	(void)state;
	pair_open(&p);
	assert_int_equal(pthread_create(&tid, NULL, dribble, &p), 0);
	assert_int_equal(relay_read_header(p.rd, PROXY_V1, 5000, &h, why,
	    sizeof(why)), 0);
	assert_int_equal(h.len, strlen(V1_HDR));
	assert_int_equal(pthread_join(tid, NULL), 0);
	left_is(&p, DATA);
	pair_close(&p);
}

static void
ended_before_or_inside(void **state)
{
	struct pair p;

	(void)state;
	pair_open(&p);
	shutdown(p.wr, SHUT_WR);
	read_fails(&p, PROXY_ANY, 1000, "the connection ended before one");
	pair_close(&p);

	pair_open(&p);
	put(&p, "PROXY TCP4 ", 11);
	shutdown(p.wr, SHUT_WR);
	read_fails(&p, PROXY_ANY, 1000,
	    "the connection ended inside it (11 bytes)");
	pair_close(&p);

	pair_open(&p);
	put(&p, v2_hdr, 20);
	shutdown(p.wr, SHUT_WR);
	read_fails(&p, PROXY_V2, 1000,
	    "the connection ended inside it (20 bytes)");
	pair_close(&p);
}

static void
timeouts(void **state)
{
	struct timespec t0;
	struct pair p;
	long long ms;

	(void)state;
	pair_open(&p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_fails(&p, PROXY_ANY, 100, "none within proxy_timeout");
	ms = -clock_ms_until(&t0);
	if (ms < 99 || ms > 5000)
		fail_msg("a 100 ms timeout took %lld ms", ms);
	pair_close(&p);

	pair_open(&p);
	put(&p, "PROXY TCP6", 10);
	read_fails(&p, PROXY_ANY, 50,
	    "incomplete at proxy_timeout (10 bytes)");
	pair_close(&p);

	/* No time left at all: still one look, then the time is up. */
	pair_open(&p);
	read_fails(&p, PROXY_ANY, -5, "none within proxy_timeout");
	pair_close(&p);
}

static void
refused_headers(void **state)
{
	char line[PROXY_V1_MAX + 1];
	struct pair p;

	(void)state;
	pair_open(&p);
	put(&p, V1_HDR, strlen(V1_HDR));
	read_fails(&p, PROXY_V2, 1000, "v1 header not allowed");
	pair_close(&p);

	pair_open(&p);
	put(&p, "GET / HTTP/1.0\r\n\r\n", 18);
	read_fails(&p, PROXY_ANY, 1000, "not a PROXY protocol header");
	pair_close(&p);

	/* A line one byte longer than the longest allowed, no CRLF. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	pair_open(&p);
	put(&p, line, sizeof(line));
	read_fails(&p, PROXY_V1, 1000, "v1 header longer than 107 bytes");
	pair_close(&p);

	/* The rest of the header comes later, but the start is wrong. */
	pair_open(&p);
	put(&p, "PROXY TCP5", 10);
	read_fails(&p, PROXY_V1, 1000, "v1 header lacks \"TCP4 \", \"TCP6 \" "
	    "or \"UNKNOWN\" after \"PROXY \"");
	pair_close(&p);
}

/* --- admission behind a proxy ---------------------------------------------- */

/* A peer from IPv4 address ip, as accept() gives it. */
static struct peer
v4(const char *ip)
{
	struct peer p = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.sa;

	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return p;
}

static void
give_back(struct conn_release *t)
{
	t->fn(t->ctx, t->arg);
}

static void
proxy_not_counted(void **state)
{
	struct config *cfg = config_of_text("[server]\nproxy_protocol = v2\n"
	    "proxy_from = 10.0.0.0/8\nmax_connections_per_ip = 1\n"
	    "connection_rate = 1\n[access]\ndeny = 10.1.2.3\n");
	struct peer proxy = v4("10.1.2.3"), other = v4("192.0.2.1");
	struct peer client = v4("192.0.2.7");
	struct peer local = { .sa.ss_family = AF_UNIX };
	struct conn_release t, t2;
	struct admit a;
	int i;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	/* Denied, over its rate and its count: none applies to it. */
	for (i = 0; i < 100; i++)
		assert_int_equal(admit_check(&a, cfg,
		    &proxy, &t), ADMIT_PROXY);
	assert_int_equal(admit_check(&a, cfg, &other, &t),
	    ADMIT_NOT_PROXY);
	assert_int_equal(admit_check(&a, cfg, &local, &t),
	    ADMIT_PROXY);
	assert_int_equal(a.open.n, 0);

	/* Its clients are counted, each for itself. */
	assert_int_equal(admit_relayed(&a, cfg, &client,
	    &t), ADMIT_OK);
	assert_int_equal(admit_relayed(&a, cfg, &client,
	    &t2), ADMIT_RATE);
	assert_int_equal(admit_relayed(&a, cfg, &other,
	    &t2), ADMIT_OK);
	give_back(&t2);
	/* The proxy's own (LOCAL) connections are as if direct. */
	assert_int_equal(admit_relayed(&a, cfg, &proxy,
	    &t2), ADMIT_DENIED);
	give_back(&t);
	assert_int_equal(a.open.n, 0);
	admit_free(&a);
	config_unref(cfg);
}

#define WORKERS 4
#define ROUNDS 2000

struct worker {
	struct admit *a;
	const struct config *cfg;
	unsigned id, admitted;
};

/* A worker admitting its proxy's clients, and giving them back. */
static void *
admit_many(void *arg)
{
	struct worker *w = arg;
	struct peer p = v4("192.0.2.0");
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.sa;
	struct conn_release t;
	unsigned i;

	for (i = 0; i < ROUNDS; i++) {
		sin->sin_addr.s_addr = htonl(0xc0000200u + (i + w->id) % 64);
		if (admit_relayed(w->a, w->cfg, &p, &t) == ADMIT_OK) {
			w->admitted++;
			give_back(&t);
		}
	}
	return NULL;
}

/* Workers admit at once, beside the main thread (TSan checks it). */
static void
admitted_from_workers(void **state)
{
	struct config *cfg = config_of_text("[server]\nproxy_protocol = any\n"
	    "proxy_from = 127.0.0.1\nconnection_rate = 1000000\n");
	struct peer proxy = v4("127.0.0.1");
	struct worker w[WORKERS];
	pthread_t tid[WORKERS];
	struct conn_release t;
	struct admit a;
	unsigned i;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	for (i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ &a, cfg, i, 0 };
		assert_int_equal(pthread_create(&tid[i], NULL, admit_many,
		    &w[i]), 0);
	}
	for (i = 0; i < ROUNDS; i++)
		assert_int_equal(admit_check(&a, cfg,
		    &proxy, &t), ADMIT_PROXY);
	for (i = 0; i < WORKERS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		/* A million a second: each got nearly all it asked. */
		assert_true(w[i].admitted > ROUNDS / 2);
	}
	assert_int_equal(a.open.n, 0);
	admit_free(&a);
	config_unref(cfg);
}

int
run_relay_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_then_data),
		cmocka_unit_test(v2_then_data),
		cmocka_unit_test(v2_local_alone),
		cmocka_unit_test(byte_by_byte),
		cmocka_unit_test(ended_before_or_inside),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(refused_headers),
		cmocka_unit_test(proxy_not_counted),
		cmocka_unit_test(admitted_from_workers),
	};

	return cmocka_run_group_tests_name("relay", tests, NULL, NULL);
}
