/*
 * Tests for siphash.h, the per-source table (srctab.h) under keys chosen
 * to collide, and admission (admit.h): when the table has no room, and a
 * source's count given back as its connections end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "admit.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "siphash.h"
#include "srctab.h"
#include "stats.h"

static void
siphash_paper_vector(void **state)
{
	unsigned char key[16], msg[15];
	unsigned i;

	(void)state;
	/* Appendix A of the SipHash paper: key 00..0f, message 00..0e. */
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	assert_int_equal(siphash24(key, msg, sizeof(msg)),
	    0xa129ca6149be45e5ULL);
}

static void
siphash_every_key_bit_counts(void **state)
{
	unsigned char key[16] = { 0 }, msg[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint64_t base, h;
	unsigned bit;

	(void)state;
	base = siphash24(key, msg, sizeof(msg));
	for (bit = 0; bit < 128; bit++) {
		key[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		h = siphash24(key, msg, sizeof(msg));
		key[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		if (h == base)
			fail_msg("flipping key bit %u leaves the hash as it was",
			    bit);
	}
}

/* The old hash: FNV-1a, unkeyed, folded to a size_t. */
static size_t
old_fnv(const unsigned char key[16])
{
	uint64_t h = 14695981039346656037ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* An IPv6 /64 source key, 2001:db8:HHHH:LLLL::/64, for i = HHHHLLLL. */
static void
v6_64(uint32_t i, unsigned char key[16])
{
	memset(key, 0, 16);
	key[0] = 0x20;
	key[1] = 0x01;
	key[2] = 0x0d;
	key[3] = 0xb8;
	key[4] = (unsigned char)(i >> 24);
	key[5] = (unsigned char)(i >> 16);
	key[6] = (unsigned char)(i >> 8);
	key[7] = (unsigned char)i;
}

/* The longest chain in t. */
static size_t
longest_chain(const struct srctab *t)
{
	const struct src *e;
	size_t i, len, max = 0;

	for (i = 0; i < t->nslots; i++) {
		len = 0;
		for (e = t->slots[i]; e != NULL; e = e->next)
			len++;
		if (len > max)
			max = len;
	}
	return max;
}

#define COLLIDING 1000

static void
fnv_collisions_make_short_chains(void **state)
{
	unsigned char (*keys)[16] = calloc(COLLIDING, 16);
	struct srctab t;
	uint32_t i;
	size_t n = 0;

	(void)state;
	assert_non_null(keys);
	/*
	 * /64s whose old hashes agree in their low 10 bits: in the old
	 * table, 1024 slots by then, every one of them in one chain.
	 */
	for (i = 0; n < COLLIDING; i++) {
		v6_64(i, keys[n]);
		if ((old_fnv(keys[n]) & 1023) == 0)
			n++;
	}
	assert_int_equal(srctab_init(&t), 0);
	for (n = 0; n < COLLIDING; n++)
		if (srctab_get(&t, keys[n], true) == NULL)
			fail_msg("source %zu of %d not added: %s", n,
			    COLLIDING, strerror(errno));
	assert_int_equal(t.n, COLLIDING);
	assert_int_equal(t.nslots, 1024);
	/* 1000 keys in 1024 random slots: 13 or more in one, p < 1e-7. */
	if (longest_chain(&t) > 12)
		fail_msg("a chain of %zu for %d sources in %zu slots",
		    longest_chain(&t), COLLIDING, t.nslots);
	for (n = 0; n < COLLIDING; n++)
		assert_non_null(srctab_get(&t, keys[n], false));
	srctab_free(&t);
	free(keys);
}

static void
tables_draw_their_own_secrets(void **state)
{
	static const unsigned char zero[16];
	struct srctab a, b;

	(void)state;
	assert_int_equal(srctab_init(&a), 0);
	assert_int_equal(srctab_init(&b), 0);
	assert_memory_not_equal(a.secret, zero, 16);
	assert_memory_not_equal(a.secret, b.secret, 16);
	srctab_free(&a);
	srctab_free(&b);
}

/* In a child whose getrandom() fails (ENOSYS): 0 if both tables work. */
static int
without_getrandom(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	static const unsigned char zero[16];
	struct srctab a, b;
	unsigned char key[16];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return 10;
	if (srctab_init(&a) != 0 || srctab_init(&b) != 0)
		return 11;
	if (memcmp(a.secret, zero, 16) == 0 ||
	    memcmp(a.secret, b.secret, 16) == 0)
		return 12;
	v6_64(1, key);
	if (srctab_get(&a, key, true) == NULL ||
	    srctab_get(&a, key, false) == NULL)
		return 13;
	srctab_free(&a);
	srctab_free(&b);
	return 0;
}

static void
weak_secret_without_getrandom(void **state)
{
	static char out[2048];
	size_t len = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		log_init();
		_exit(without_getrandom());
	}
	assert_true(pid > 0);
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the child without getrandom: status %#x; it said: %s",
		    status, out);
	/* One warning for both tables. */
	assert_contains(out, "getrandom: Function not implemented; the "
	    "per-source tables' hash keys come from clocks and addresses "
	    "instead\n");
	assert_int_equal(lines(out), 1);
}

static void
other_secret_other_slots(void **state)
{
	struct srctab a, b;
	unsigned char key[16];
	unsigned i, same = 0;

	(void)state;
	assert_int_equal(srctab_init(&a), 0);
	assert_int_equal(srctab_init(&b), 0);
	for (i = 0; i < 16; i++) {
		a.secret[i] = (unsigned char)i;
		b.secret[i] = (unsigned char)(15 - i);
	}
	/* With 64 slots, about 1 of 64 keys falls in the same slot. */
	for (i = 0; i < 64; i++) {
		v6_64(i, key);
		assert_true(srctab_slot(&a, key) < a.nslots);
		same += srctab_slot(&a, key) == srctab_slot(&b, key);
	}
	if (same > 8)
		fail_msg("%u of 64 keys in the same slot under two secrets",
		    same);
	/* One secret: always the same slot. */
	v6_64(7, key);
	assert_int_equal(srctab_slot(&a, key), srctab_slot(&a, key));
	srctab_free(&a);
	srctab_free(&b);
}

static void
chains_are_capped(void **state)
{
	struct srctab t;
	unsigned char key[16], first[16];
	uint32_t i;
	unsigned n = 0;
	size_t slot = 0;

	(void)state;
	assert_int_equal(srctab_init(&t), 0);
	/* Keys that fall in one slot, as if their secret were known. */
	for (i = 0; n < SRCTAB_MAX_CHAIN + 1; i++) {
		v6_64(i, key);
		if (n == 0) {
			slot = srctab_slot(&t, key);
			memcpy(first, key, 16);
		} else if (srctab_slot(&t, key) != slot)
			continue;
		errno = 0;
		if (n < SRCTAB_MAX_CHAIN)
			assert_non_null(srctab_get(&t, key, true));
		else {
			assert_null(srctab_get(&t, key, true));
			assert_int_equal(errno, ENOSPC);
		}
		n++;
	}
	assert_int_equal(t.n, SRCTAB_MAX_CHAIN);
	assert_int_equal(longest_chain(&t), SRCTAB_MAX_CHAIN);
	/* Those in it are still found; room again once one goes. */
	assert_non_null(srctab_get(&t, first, false));
	srctab_del(&t, srctab_get(&t, first, false));
	assert_non_null(srctab_get(&t, key, true));
	srctab_free(&t);
}

static void
table_has_a_limit(void **state)
{
	struct srctab t;
	unsigned char key[16];
	uint32_t i;

	(void)state;
	assert_int_equal(srctab_init_max(&t, 4), 0);
	for (i = 0; i < 4; i++) {
		v6_64(i, key);
		assert_non_null(srctab_get(&t, key, true));
	}
	v6_64(4, key);
	errno = 0;
	assert_null(srctab_get(&t, key, true));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(t.n, 4);
	v6_64(3, key);
	assert_non_null(srctab_get(&t, key, true));	/* known: found */
	srctab_del(&t, srctab_get(&t, key, false));
	v6_64(4, key);
	assert_non_null(srctab_get(&t, key, true));
	srctab_free(&t);
}

/* --- admission past the table's limit ----------------------------------------- */

#define TABLE_MAX 4
#define NEWCOMERS 100

static struct {
	struct admit admit;
	struct config *cfg;
	unsigned admitted, shared_refusals;
	double seconds;
} past;

/* A peer from IPv4 address ip, as accept() gives it. */
static struct peer
peer_v4(const char *ip)
{
	struct peer p = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.sa;

	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return p;
}

/* Admission for a client from ip; on ADMIT_OK, *ticket gives it back. */
static enum admit_verdict
admit_ip(struct admit *a, const struct config *cfg, const char *ip,
    struct conn_release *ticket)
{
	struct peer p = peer_v4(ip);

	return admit_check(a, cfg, &p, ticket);
}

/* The same for a Unix socket's client of that uid (unnamed, as most are). */
static enum admit_verdict
admit_uid(struct admit *a, const struct config *cfg, uid_t uid,
    struct conn_release *ticket)
{
	struct peer p = { .len = sizeof(sa_family_t),
	    .cred = { .pid = 1234, .uid = uid, .gid = 5678 } };

	p.sa.ss_family = AF_UNIX;
	return admit_check(a, cfg, &p, ticket);
}

static enum admit_verdict
admit_from(const char *ip)
{
	struct conn_release ticket;

	return admit_ip(&past.admit, past.cfg, ip, &ticket);
}

/* NEWCOMERS new sources while the table is full. */
static void
newcomers(void)
{
	struct timespec t0, t1;
	enum admit_verdict v;
	char ip[32];
	unsigned i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NEWCOMERS; i++) {
		snprintf(ip, sizeof(ip), "127.0.1.%u", i);
		v = admit_from(ip);
		past.admitted += v == ADMIT_OK;
		past.shared_refusals += v == ADMIT_RATE_SHARED;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	past.seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void
rate_holds_past_the_table_limit(void **state)
{
	const char *out;
	unsigned i, most;
	char ip[32];

	(void)state;
	memset(&past, 0, sizeof(past));
	log_init();
	past.cfg = config_of_text("[server]\nconnection_rate = 1\n"
	    "max_connections_per_ip = 0\n");
	assert_int_equal(admit_init_max(&past.admit, TABLE_MAX), 0);

	/* TABLE_MAX sources fill the table, a token each. */
	for (i = 0; i < TABLE_MAX; i++) {
		snprintf(ip, sizeof(ip), "127.0.0.%u", i + 1);
		assert_int_equal(admit_from(ip), ADMIT_OK);
	}
	assert_int_equal(past.admit.rates.table.n, TABLE_MAX);

	/*
	 * The next sources have no bucket of their own: they share one of
	 * a token a second, so 1 gets in, and 1 more for each second the
	 * loop took -- not all of them, as before.
	 */
	out = capture_stderr(newcomers);
	most = 1 + (unsigned)past.seconds + 1;
	if (past.admitted > most)
		fail_msg("%u of %d sources past the table's %d admitted in "
		    "%.3f s at connection_rate = 1 (want at most %u)",
		    past.admitted, NEWCOMERS, TABLE_MAX, past.seconds, most);
	assert_true(past.admitted >= 1);
	assert_int_equal(past.admitted + past.shared_refusals, NEWCOMERS);
	/* Said once, not once a source. */
	assert_contains(out, "connection_rate: no bucket of its own for a "
	    "new source (4 sources have one); it shares one with every such "
	    "source (0 more since the last such line)");
	assert_int_equal(lines(out), 1);

	/* Sources with a bucket keep their own: 127.0.0.1 spent its token. */
	assert_int_equal(admit_from("127.0.0.1"), ADMIT_RATE);
	assert_int_equal(past.admit.rates.table.n, TABLE_MAX);

	admit_free(&past.admit);
	config_unref(past.cfg);
}

static void
uncounted_source_not_let_in(void **state)
{
	struct config *cfg = config_of_text("[server]\n"
	    "max_connections_per_ip = 0\n");
	struct peer p = { .len = sizeof(struct sockaddr_in6) };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p.sa;
	struct conn_release ticket;
	struct admit a;
	uint32_t i;
	unsigned n = 0;
	size_t slot = 0;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	sin6->sin6_family = AF_INET6;
	/*
	 * A source the table cannot count (here: its chain is full; in
	 * practice, no memory) is refused even with no per-source limit:
	 * let in uncounted, its end would uncount another connection.
	 */
	for (i = 0; n <= SRCTAB_MAX_CHAIN; i++) {
		v6_64(i, sin6->sin6_addr.s6_addr);	/* a /64 of its own */
		if (n == 0)
			slot = srctab_slot(&a.open, sin6->sin6_addr.s6_addr);
		else if (srctab_slot(&a.open, sin6->sin6_addr.s6_addr) != slot)
			continue;
		assert_int_equal(admit_check(&a, cfg, &p, &ticket),
		    n < SRCTAB_MAX_CHAIN ? ADMIT_OK : ADMIT_PER_IP);
		n++;
	}
	assert_int_equal(a.open.n, SRCTAB_MAX_CHAIN);
	admit_free(&a);
	config_unref(cfg);
}

/* --- a source's count given back ----------------------------------------- */

/* Gives back what a ticket holds, as a connection's end does. */
static void
give_back(const struct conn_release *ticket)
{
	ticket->fn(ticket->ctx, ticket->arg);
}

static void
per_ip_count_given_back(void **state)
{
	struct config *cfg = config_of_text("[server]\n"
	    "max_connections_per_ip = 2\n");
	struct conn_release t1, t2, t3, other;
	struct admit a;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t1), ADMIT_OK);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t2), ADMIT_OK);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t3), ADMIT_PER_IP);
	/* Another source has its own count. */
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.2", &other), ADMIT_OK);
	assert_int_equal(a.open.n, 2);

	/* One ends: room for one more, and only one. */
	give_back(&t1);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t3), ADMIT_OK);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t1), ADMIT_PER_IP);

	/* Once a source has none open, its entry is gone. */
	give_back(&other);
	assert_int_equal(a.open.n, 1);
	give_back(&t2);
	give_back(&t3);
	assert_int_equal(a.open.n, 0);
	admit_free(&a);
	config_unref(cfg);
}

/*
 * A Unix socket's clients are counted by uid: each uid on its own, none
 * with an IP source, even with ipv6_prefix = 1 (which makes every IPv6
 * address in a half of the space one source); and [access] rules, which
 * are about IP addresses, do not apply to them.
 */
static void
per_uid_count(void **state)
{
	struct config *cfg = config_of_text("[server]\n"
	    "max_connections_per_ip = 2\nipv6_prefix = 1\n"
	    "[access]\ndeny = 0.0.0.0/0\ndeny = ::/0\n");
	struct conn_release t[6];
	struct admit a;
	int i;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	assert_int_equal(admit_uid(&a, cfg, 1000, &t[0]), ADMIT_OK);
	assert_int_equal(admit_uid(&a, cfg, 1000, &t[1]), ADMIT_OK);
	assert_int_equal(admit_uid(&a, cfg, 1000, &t[2]), ADMIT_PER_IP);
	/* Other uids, 0 and the highest included, have counts of their own. */
	assert_int_equal(admit_uid(&a, cfg, 1001, &t[2]), ADMIT_OK);
	assert_int_equal(admit_uid(&a, cfg, 0, &t[3]), ADMIT_OK);
	assert_int_equal(admit_uid(&a, cfg, (uid_t)-2, &t[4]), ADMIT_OK);
	assert_int_equal(a.open.n, 4);
	/* IP clients are still denied by [access]: the rules hold for them. */
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &t[5]), ADMIT_DENIED);

	give_back(&t[0]);
	assert_int_equal(admit_uid(&a, cfg, 1000, &t[0]), ADMIT_OK);
	assert_int_equal(admit_uid(&a, cfg, 1000, &t[5]), ADMIT_PER_IP);
	for (i = 0; i < 5; i++)
		give_back(&t[i]);
	assert_int_equal(a.open.n, 0);
	admit_free(&a);
	config_unref(cfg);
}

/* connection_rate is per uid too. */
static void
rate_per_uid(void **state)
{
	struct config *cfg = config_of_text("[server]\nconnection_rate = 2\n"
	    "max_connections_per_ip = 0\n");
	struct conn_release t;
	struct admit a;
	int i;

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(admit_uid(&a, cfg, 1000, &t), ADMIT_OK);
		give_back(&t);
	}
	assert_int_equal(admit_uid(&a, cfg, 1000, &t), ADMIT_RATE);
	assert_int_equal(admit_uid(&a, cfg, 1001, &t), ADMIT_OK);
	give_back(&t);
	assert_int_equal(a.rates.table.n, 2);
	admit_free(&a);
	config_unref(cfg);
}

/* Waits up to 5 s for the wake-ups of n finished connections. */
static void
wait_ended(struct conn_set *set, uint64_t n)
{
	struct pollfd pfd = { .fd = set->wake_fd, .events = POLLIN };
	uint64_t count = 0, got;

	while (count < n) {
		if (poll(&pfd, 1, 5000) != 1)
			fail_msg("%llu of %llu connections ended in 5 s",
			    (unsigned long long)count, (unsigned long long)n);
		assert_int_equal(read(set->wake_fd, &got, sizeof(got)),
		    sizeof(got));
		count += got;
	}
	/* What the main thread does with the wake-ups. */
	atomic_fetch_sub(&stats.active, (unsigned long)count);
}

/*
 * A connection gives its source's count back when its worker ends, on
 * the worker's thread, and when it is dropped unserved.
 */
static void
connection_gives_count_back(void **state)
{
	struct config *cfg = config_of_text("[server]\n"
	    "max_connections_per_ip = 1\n[log]\nconnections = no\n");
	struct peer peer = peer_v4("192.0.2.1");
	struct conn_release ticket;
	struct conn_set set;
	struct admit a;
	struct conn *c;
	int sv[2];

	(void)state;
	assert_int_equal(admit_init(&a), 0);
	assert_int_equal(conn_set_init(&set), 0);

	/* A worker that ends once its client has closed. */
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &ticket), ADMIT_OK);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = conn_new(&set, sv[0], &peer, &ticket, cfg);
	assert_non_null(c);
	assert_int_equal(conn_start(c), 0);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &ticket),
	    ADMIT_PER_IP);
	close(sv[1]);
	wait_ended(&set, 1);
	assert_int_equal(a.open.n, 0);

	/* One never served. */
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &ticket), ADMIT_OK);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = conn_new(&set, sv[0], &peer, &ticket, cfg);
	assert_non_null(c);
	conn_drop(c);
	close(sv[1]);
	wait_ended(&set, 1);
	assert_int_equal(admit_ip(&a, cfg, "192.0.2.1", &ticket), ADMIT_OK);
	give_back(&ticket);
	assert_int_equal(a.open.n, 0);

	conn_set_destroy(&set);
	admit_free(&a);
	config_unref(cfg);
}

static void
shared_refusal_says_so(void **state)
{
	struct config *cfg = config_of_text("[server]\nconnection_rate = 5\n");
	char why[64];

	(void)state;
	admit_reason(ADMIT_RATE_SHARED, cfg, why, sizeof(why));
	assert_string_equal(why, "over connection_rate (5/s, in the shared "
	    "bucket)");
	config_unref(cfg);
}

int
run_srctab_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_paper_vector),
		cmocka_unit_test(siphash_every_key_bit_counts),
		cmocka_unit_test(fnv_collisions_make_short_chains),
		cmocka_unit_test(tables_draw_their_own_secrets),
		cmocka_unit_test(weak_secret_without_getrandom),
		cmocka_unit_test(other_secret_other_slots),
		cmocka_unit_test(chains_are_capped),
		cmocka_unit_test(table_has_a_limit),
		cmocka_unit_test(rate_holds_past_the_table_limit),
		cmocka_unit_test(uncounted_source_not_let_in),
		cmocka_unit_test(per_ip_count_given_back),
		cmocka_unit_test(per_uid_count),
		cmocka_unit_test(rate_per_uid),
		cmocka_unit_test(connection_gives_count_back),
		cmocka_unit_test(shared_refusal_says_so),
	};

	return cmocka_run_group_tests_name("srctab", tests, NULL, NULL);
}
