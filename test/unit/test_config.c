/* Tests for config.h: loading, validation, error lines, overrides, print. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <netinet/in.h>

#include "unit.h"
#include "addr.h"
#include "config.h"
#include "log.h"

/* Loads text as "test.conf"; on failure returns NULL and the errors. */
static struct config *
load(const char *text, const struct config_overrides *ov, char **errors)
{
	FILE *fp = read_only_stream(text, strlen(text));
	struct config *cfg;

	if (fp == NULL)
		fail_msg("fmemopen: %s", strerror(errno));
	*errors = NULL;
	cfg = config_load_stream(fp, "test.conf", ov, errors);
	fclose(fp);
	if (cfg != NULL && *errors != NULL) {
		free(*errors);
		*errors = NULL;
	}
	return cfg;
}

/* Expects text to load; fails the test with the error text otherwise. */
static struct config *
load_ok(const char *text)
{
	char *errors = NULL;
	struct config *cfg = load(text, NULL, &errors);

	if (cfg == NULL) {
		print_error("--- config ---\n%s--- errors ---\n%s\n", text,
		    errors != NULL ? errors : "(none)");
		free(errors);
		fail_msg("config was rejected");
	}
	return cfg;
}

/* Expects text to be rejected; returns the error text (static storage). */
static const char *
load_err(const char *text)
{
	static char saved[16384];
	char *errors = NULL;
	struct config *cfg = load(text, NULL, &errors);

	if (cfg != NULL) {
		config_unref(cfg);
		fail_msg("config was accepted:\n%s", text);
	}
	if (errors == NULL || errors[0] == '\0') {
		free(errors);
		fail_msg("config was rejected without an error text");
	}
	snprintf(saved, sizeof(saved), "%s", errors);
	free(errors);
	return saved;
}

/* Expects "[section]\nkey = value\n" to fail at line 2 naming key. */
static const char *
key_fails(const char *section, const char *key, const char *value)
{
	char text[512];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	const char *err = load_err(text);
	char want[128];

	snprintf(want, sizeof(want), "test.conf:2: %s:", key);
	assert_contains(err, want);
	return err;
}

/* Loads "[section]\nkey = value\n"; the caller unrefs. */
static struct config *
key_ok(const char *section, const char *key, const char *value)
{
	char text[512];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	return load_ok(text);
}

/* Defaults */

static void
empty_file_gives_defaults(void **state)
{
	(void)state;
	struct config *cfg = load_ok("");

	assert_int_equal(cfg->n_listen, 1);
	assert_string_equal(cfg->listen[0], "*:7");
	assert_int_equal(cfg->backlog, 4096);
	assert_int_equal(cfg->mode, MODE_ECHO);
	assert_int_equal(cfg->max_connections, 1024);
	assert_int_equal(cfg->idle_timeout_ms, 300000);
	assert_int_equal(cfg->buffer_size, 16384);
	assert_int_equal(cfg->thread_stack_size, 65536);
	assert_int_equal(cfg->shutdown_timeout_ms, 10000);
	assert_false(cfg->reuse_port);
	assert_true(cfg->talk.reply);
	assert_string_equal(cfg->talk.stop_word, "STOP");
	assert_string_equal(cfg->talk.greeting, "");
	assert_int_equal(cfg->talk.max_line, 4096);
	assert_int_equal(cfg->log.level, LEVEL_INFO);
	assert_true(cfg->log.connections);
	assert_int_equal(cfg->log.talk_lines, 100);
	assert_int_equal(cfg->log.talk_bytes, 65536);
	assert_int_equal(cfg->log.talk_lines_total, 1000);
	assert_int_equal(cfg->log.talk_bytes_total, 1048576);
	config_unref(cfg);
}

static void
empty_sections_give_defaults(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\n[talk]\n[log]\n");

	assert_int_equal(cfg->n_listen, 1);
	assert_string_equal(cfg->listen[0], "*:7");
	assert_int_equal(cfg->backlog, 4096);
	assert_string_equal(cfg->talk.stop_word, "STOP");
	assert_int_equal(cfg->log.level, LEVEL_INFO);
	config_unref(cfg);
}

/* [server] listen */

static void
listen_single_replaces_default(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "listen", "127.0.0.1:7007");

	assert_int_equal(cfg->n_listen, 1);
	assert_string_equal(cfg->listen[0], "127.0.0.1:7007");
	config_unref(cfg);
}

static void
listen_is_repeatable(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\n"
	    "listen = 127.0.0.1:7007\n"
	    "listen = [::1]:7\n"
	    "listen = 9000\n");

	assert_int_equal(cfg->n_listen, 3);
	assert_string_equal(cfg->listen[0], "127.0.0.1:7007");
	assert_string_equal(cfg->listen[1], "[::1]:7");
	assert_string_equal(cfg->listen[2], "9000");
	config_unref(cfg);
}

static char *
many_listens(int n)
{
	size_t size = 32 + (size_t)n * 32;
	char *text = malloc(size);
	size_t off;

	assert_non_null(text);
	off = (size_t)snprintf(text, size, "[server]\n");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, size - off,
		    "listen = 127.0.0.1:%d\n", 10000 + i);
	return text;
}

static void
listen_accepts_64(void **state)
{
	(void)state;
	char *text = many_listens(CONFIG_MAX_LISTEN);
	struct config *cfg = load_ok(text);

	assert_int_equal(cfg->n_listen, CONFIG_MAX_LISTEN);
	assert_string_equal(cfg->listen[0], "127.0.0.1:10000");
	assert_string_equal(cfg->listen[63], "127.0.0.1:10063");
	config_unref(cfg);
	free(text);
}

static void
listen_rejects_65(void **state)
{
	(void)state;
	char *text = many_listens(CONFIG_MAX_LISTEN + 1);
	const char *err = load_err(text);

	/* Line 1 is [server]; the 65th listen is on line 66. */
	assert_contains(err, "test.conf:66: listen:");
	free(text);
}

static void
listen_rejects_bad_spec(void **state)
{
	(void)state;
	key_fails("server", "listen", "1.2.3.4:7x");
	key_fails("server", "listen", "host:");
	key_fails("server", "listen", "::1:7");
	key_fails("server", "listen", "70000");
}

/* Two values that mean one socket: the second bind() would fail. */
static void
listen_same_socket_is_error(void **state)
{
	(void)state;
	const char *err;

	err = load_err("[server]\n"
	    "listen = 7007\n"
	    "listen = 127.0.0.1:7008\n"
	    "listen = *:7007\n");
	assert_contains(err, "test.conf:4: listen: '*:7007' and '7007' "
	    "(line 2) both serve ");
	assert_not_contains(err, "test.conf:3:");
	err = load_err("[server]\n"
	    "listen = 0.0.0.0:7007\n"
	    "listen = 127.0.0.1:7007\n");
	assert_contains(err, "test.conf:3: listen: '127.0.0.1:7007' and "
	    "'0.0.0.0:7007' (line 2) both serve 127.0.0.1:7007\n");
	/* The narrower address is named, whichever comes first. */
	err = load_err("[server]\n"
	    "listen = [::1]:7007\n"
	    "listen = [::]:7007\n");
	assert_contains(err, "test.conf:3: listen: '[::]:7007' and "
	    "'[::1]:7007' (line 2) both serve [::1]:7007\n");
}

/* Port 0 asks for a new port each time; other addresses do not clash. */
static void
listen_distinct_sockets_are_fine(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\n"
	    "listen = 127.0.0.1:0\n"
	    "listen = 127.0.0.1:0\n"
	    "listen = *:0\n"
	    "listen = 127.0.0.1:7007\n"
	    "listen = 127.0.0.2:7007\n"
	    "listen = [::1]:7007\n"
	    "listen = [::]:7008\n"
	    "listen = 0.0.0.0:7008\n");

	assert_int_equal(cfg->n_listen, 8);
	config_unref(cfg);
}

/*
 * The clash checks know the kinds: TCP and UDP on one port are the
 * classic echo pair, a UDP or Unix socket twice is a mistake.
 */
static void
listen_kinds_clash_within_a_kind(void **state)
{
	(void)state;
	struct config *cfg;
	const char *err;

	cfg = load_ok("[server]\n"
	    "listen = *:7007\n"
	    "listen = udp://*:7007\n"
	    "listen = tcp://127.0.0.2:7008\n"
	    "listen = udp://127.0.0.2:7008\n"
	    "listen = udp://*:0\n"
	    "listen = udp://*:0\n"
	    "listen = unix:/run/echod/a.sock\n"
	    "listen = unix:/run/echod/b.sock\n");
	assert_int_equal(cfg->n_listen, 8);
	assert_string_equal(cfg->listen[1], "udp://*:7007");
	assert_int_equal(cfg->addrs[1].v[0].kind, TRANSPORT_UDP);
	assert_int_equal(cfg->addrs[6].n, 1);
	assert_int_equal(cfg->addrs[6].v[0].kind, TRANSPORT_UNIX);
	config_unref(cfg);

	err = load_err("[server]\n"
	    "listen = udp://*:7007\n"
	    "listen = udp://*:7007\n");
	assert_contains(err, "test.conf:3: listen: 'udp://*:7007' is listed "
	    "twice\n");
	err = load_err("[server]\n"
	    "listen = udp://0.0.0.0:7007\n"
	    "listen = 7007\n"
	    "listen = udp://127.0.0.1:7007\n");
	assert_contains(err, "test.conf:4: listen: 'udp://127.0.0.1:7007' and "
	    "'udp://0.0.0.0:7007' (line 2) both serve udp://127.0.0.1:7007\n");
	assert_not_contains(err, "test.conf:3:");
	/* tcp:// is the bare form: the same socket. */
	err = load_err("[server]\n"
	    "listen = 127.0.0.1:7007\n"
	    "listen = tcp://127.0.0.1:7007\n");
	assert_contains(err, "test.conf:3: listen: 'tcp://127.0.0.1:7007' and "
	    "'127.0.0.1:7007' (line 2) both serve 127.0.0.1:7007\n");
	err = load_err("[server]\n"
	    "listen = unix:/run/echod.sock\n"
	    "listen = unix:/run/echod.sock\n");
	assert_contains(err, "test.conf:3: listen: 'unix:/run/echod.sock' is "
	    "listed twice\n");
	err = load_err("[server]\n"
	    "listen = unix:/run/echod/e.sock\n"
	    "listen = unix:/run//echod/./e.sock\n");
	assert_contains(err, "test.conf:3: listen: 'unix:/run//echod/./e.sock' "
	    "and 'unix:/run/echod/e.sock' (line 2) both serve "
	    "unix:/run/echod/e.sock\n");
}

/* A bad scheme or path is an error at its line, naming value and cause. */
static void
listen_rejects_bad_kinds(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "listen", "sctp://*:7"),
	    "test.conf:2: listen: 'sctp://*:7' has an unknown scheme 'sctp'");
	assert_contains(key_fails("server", "listen", "TCP://*:7"),
	    "test.conf:2: listen: 'TCP://*:7' has its scheme in capitals");
	assert_contains(key_fails("server", "listen", "tcp:/x"),
	    "test.conf:2: listen: 'tcp:/x' needs '//' after 'tcp:'");
	assert_contains(key_fails("server", "listen", "unix:"),
	    "test.conf:2: listen: 'unix:' has no path");
	assert_contains(key_fails("server", "listen", "unix:echod.sock"),
	    "test.conf:2: listen: 'unix:echod.sock' has a relative path");
	assert_contains(key_fails("server", "listen", "unix:@echod"),
	    "test.conf:2: listen: 'unix:@echod' is an abstract socket");
}

/* The port of a resolved socket. */
static unsigned
port_of(const struct bind_addr *b)
{
	if (b->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&b->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&b->sa)->sin6_port);
}

/*
 * Every listen value is resolved when loaded, the default and -l ones
 * too, so that opening the sockets looks nothing up; a value that does
 * not resolve keeps the reason, for opening time, and is no file error.
 */
static void
listen_values_resolved_at_load(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;
	char *errors = NULL;

	cfg = load_ok("[server]\n"
	    "listen = 127.0.0.1:7007\n"
	    "listen = 127.0.0.1:0\n"
	    "listen = [fe80::1%no-such-if0]:7\n");
	assert_int_equal(cfg->addrs[0].n, 1);
	assert_null(cfg->addrs[0].error);
	assert_int_equal(cfg->addrs[0].v[0].sa.ss_family, AF_INET);
	assert_int_equal(port_of(&cfg->addrs[0].v[0]), 7007);
	assert_int_equal(cfg->addrs[1].n, 1);
	assert_int_equal(port_of(&cfg->addrs[1].v[0]), 0);
	assert_null(cfg->addrs[2].v);
	assert_non_null(cfg->addrs[2].error);
	config_unref(cfg);

	cfg = load_ok("");
	assert_int_equal(cfg->addrs[0].n, 1);
	assert_true(addr_is_any(&cfg->addrs[0].v[0]));
	assert_int_equal(port_of(&cfg->addrs[0].v[0]), 7);
	config_unref(cfg);

	memset(&ov, 0, sizeof(ov));
	ov.mode = -1;
	ov.listen[0] = "[::1]:9";
	ov.n_listen = 1;
	cfg = load("[server]\nlisten = 127.0.0.1:7007\n", &ov, &errors);
	if (cfg == NULL)
		fail_msg("rejected: %s", errors);
	assert_int_equal(cfg->n_listen, 1);
	assert_int_equal(cfg->addrs[0].n, 1);
	assert_int_equal(cfg->addrs[0].v[0].sa.ss_family, AF_INET6);
	assert_true(cfg->addrs[0].v[0].v6only);
	assert_int_equal(port_of(&cfg->addrs[0].v[0]), 9);
	config_unref(cfg);
}

/* [server] backlog */

static void
backlog_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "backlog", "1");

	assert_int_equal(cfg->backlog, 1);
	config_unref(cfg);
	cfg = key_ok("server", "backlog", "65535");
	assert_int_equal(cfg->backlog, 65535);
	config_unref(cfg);
}

static void
backlog_invalid(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "backlog", "12x"),
	    "'12x' is not a number");
	key_fails("server", "backlog", "-1");
	key_fails("server", "backlog", "");
}

static void
backlog_out_of_range(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "backlog", "0"), "out of range");
	assert_contains(key_fails("server", "backlog", "65536"),
	    "out of range");
}

/* [server] mode */

static void
mode_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "mode", "talk");

	assert_int_equal(cfg->mode, MODE_TALK);
	config_unref(cfg);
	cfg = key_ok("server", "mode", "echo");
	assert_int_equal(cfg->mode, MODE_ECHO);
	config_unref(cfg);
}

static void
mode_invalid(void **state)
{
	(void)state;
	key_fails("server", "mode", "chat");
	key_fails("server", "mode", "");
}

/* [server] max_connections */

static void
max_connections_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "max_connections", "1");

	assert_int_equal(cfg->max_connections, 1);
	config_unref(cfg);
	cfg = key_ok("server", "max_connections", "1000000");
	assert_int_equal(cfg->max_connections, 1000000);
	config_unref(cfg);
}

static void
max_connections_not_a_number_exact(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "mode = echo\n"
	    "max_connections = 12x\n");

	assert_contains(err,
	    "test.conf:3: max_connections: '12x' is not a number");
}

static void
max_connections_out_of_range(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "max_connections", "0"),
	    "out of range");
	assert_contains(key_fails("server", "max_connections", "1000001"),
	    "out of range");
}

/* [server] idle_timeout */

static void
idle_timeout_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "idle_timeout", "5m");

	assert_int_equal(cfg->idle_timeout_ms, 300000);
	config_unref(cfg);
	cfg = key_ok("server", "idle_timeout", "90");
	assert_int_equal(cfg->idle_timeout_ms, 90000);
	config_unref(cfg);
	cfg = key_ok("server", "idle_timeout", "250ms");
	assert_int_equal(cfg->idle_timeout_ms, 250);
	config_unref(cfg);
	cfg = key_ok("server", "idle_timeout", "2h");
	assert_int_equal(cfg->idle_timeout_ms, 7200000);
	config_unref(cfg);
}

static void
idle_timeout_zero_means_never(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "idle_timeout", "0");

	assert_int_equal(cfg->idle_timeout_ms, 0);
	config_unref(cfg);
}

static void
idle_timeout_max_seven_days(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "idle_timeout", "168h");

	assert_int_equal(cfg->idle_timeout_ms, 604800000ULL);
	config_unref(cfg);
	assert_contains(key_fails("server", "idle_timeout", "169h"),
	    "out of range");
	assert_contains(key_fails("server", "idle_timeout", "604801"),
	    "out of range");
}

static void
idle_timeout_invalid(void **state)
{
	(void)state;
	key_fails("server", "idle_timeout", "1d");
	key_fails("server", "idle_timeout", "soon");
	key_fails("server", "idle_timeout", "-5s");
}

/* [server] buffer_size */

static void
buffer_size_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "buffer_size", "32k");

	assert_int_equal(cfg->buffer_size, 32768);
	config_unref(cfg);
	cfg = key_ok("server", "buffer_size", "64");
	assert_int_equal(cfg->buffer_size, 64);
	config_unref(cfg);
	cfg = key_ok("server", "buffer_size", "16M");
	assert_int_equal(cfg->buffer_size, 16777216);
	config_unref(cfg);
}

static void
buffer_size_invalid(void **state)
{
	(void)state;
	key_fails("server", "buffer_size", "1g");
	key_fails("server", "buffer_size", "big");
	key_fails("server", "buffer_size", "16kb");
}

static void
buffer_size_out_of_range(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "buffer_size", "63"),
	    "out of range");
	assert_contains(key_fails("server", "buffer_size", "16385k"),
	    "out of range");
}

/* [server] thread_stack_size */

static void
min_stack_is_sane(void **state)
{
	(void)state;
	long sys = sysconf(_SC_THREAD_STACK_MIN);
	size_t min = config_min_stack();

	assert_true(min > 0);
	if (sys > 0)
		assert_true(min >= (size_t)sys);
	/* The default (64k) must itself be valid. */
	assert_true(min <= 65536);
}

static void
thread_stack_size_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "thread_stack_size", "128k");

	assert_int_equal(cfg->thread_stack_size, 131072);
	config_unref(cfg);
	cfg = key_ok("server", "thread_stack_size", "64m");
	assert_int_equal(cfg->thread_stack_size, 64 * 1048576);
	config_unref(cfg);
}

static void
thread_stack_size_min_is_system_min(void **state)
{
	(void)state;
	size_t min = config_min_stack();
	char value[32];
	struct config *cfg;

	snprintf(value, sizeof(value), "%zu", min);
	cfg = key_ok("server", "thread_stack_size", value);
	assert_int_equal(cfg->thread_stack_size, min);
	config_unref(cfg);
	snprintf(value, sizeof(value), "%zu", min - 1);
	assert_contains(key_fails("server", "thread_stack_size", value),
	    "out of range");
}

static void
thread_stack_size_invalid(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "thread_stack_size", "65m"),
	    "out of range");
	key_fails("server", "thread_stack_size", "1g");
	key_fails("server", "thread_stack_size", "64q");
}

/* [server] shutdown_timeout */

static void
shutdown_timeout_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "shutdown_timeout", "30s");

	assert_int_equal(cfg->shutdown_timeout_ms, 30000);
	config_unref(cfg);
	cfg = key_ok("server", "shutdown_timeout", "1h");
	assert_int_equal(cfg->shutdown_timeout_ms, 3600000);
	config_unref(cfg);
	cfg = key_ok("server", "shutdown_timeout", "1500ms");
	assert_int_equal(cfg->shutdown_timeout_ms, 1500);
	config_unref(cfg);
	cfg = key_ok("server", "shutdown_timeout", "2");
	assert_int_equal(cfg->shutdown_timeout_ms, 2000);
	config_unref(cfg);
}

static void
shutdown_timeout_invalid(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "shutdown_timeout", "61m"),
	    "out of range");
	assert_contains(key_fails("server", "shutdown_timeout", "3601"),
	    "out of range");
	key_fails("server", "shutdown_timeout", "1d");
	key_fails("server", "shutdown_timeout", "later");
}

/* Limits and admission (issue: hardening) */

static void
admission_keys(void **state)
{
	(void)state;
	struct config *cfg = load_ok("");

	assert_int_equal(cfg->send_timeout_ms, 30000);
	assert_int_equal(cfg->evict_idle_ms, 2000);
	assert_false(cfg->splice);
	assert_int_equal(cfg->max_connections_per_ip, 64);
	assert_int_equal(cfg->ipv6_prefix, 64);
	assert_int_equal(cfg->connection_rate, 0);
	assert_int_equal(cfg->access.n_allow, 0);
	assert_int_equal(cfg->access.n_deny, 0);
	config_unref(cfg);
	cfg = key_ok("server", "send_timeout", "2m");
	assert_int_equal(cfg->send_timeout_ms, 120000);
	config_unref(cfg);
	cfg = key_ok("server", "splice", "yes");
	assert_true(cfg->splice);
	config_unref(cfg);
	cfg = key_ok("server", "evict_idle", "0");
	assert_int_equal(cfg->evict_idle_ms, 0);
	config_unref(cfg);
	cfg = key_ok("server", "evict_idle", "500ms");
	assert_int_equal(cfg->evict_idle_ms, 500);
	config_unref(cfg);
	assert_contains(key_fails("server", "evict_idle", "169h"),
	    "out of range");
	cfg = key_ok("server", "max_connections_per_ip", "0");
	assert_int_equal(cfg->max_connections_per_ip, 0);
	config_unref(cfg);
	cfg = key_ok("server", "ipv6_prefix", "48");
	assert_int_equal(cfg->ipv6_prefix, 48);
	config_unref(cfg);
	cfg = key_ok("server", "connection_rate", "20");
	assert_int_equal(cfg->connection_rate, 20);
	config_unref(cfg);
	assert_contains(key_fails("server", "ipv6_prefix", "0"), "out of range");
	assert_contains(key_fails("server", "ipv6_prefix", "129"),
	    "out of range");
	assert_contains(key_fails("server", "send_timeout", "soon"),
	    "not a duration");
	assert_contains(key_fails("server", "connection_rate", "-1"),
	    "not a number");
}

static void
access_rules_repeat_and_print(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[access]\nallow = 10.0.0.0/8\n"
	    "allow = ::1\ndeny = 10.1.0.0/16\n");
	char *text = NULL, *errors = NULL;
	size_t len = 0;
	FILE *fp;

	assert_int_equal(cfg->access.n_allow, 2);
	assert_int_equal(cfg->access.n_deny, 1);
	fp = open_memstream(&text, &len);
	config_print(cfg, fp);
	fclose(fp);
	assert_contains(text, "allow = 10.0.0.0/8\nallow = ::1/128\n");
	assert_contains(text, "deny = 10.1.0.0/16\n");
	config_unref(cfg);
	cfg = load(text, NULL, &errors);
	assert_non_null(cfg);
	assert_int_equal(cfg->access.n_allow, 2);
	config_unref(cfg);
	free(text);
	assert_contains(load_err("[access]\nallow = 10.0.0.1/8\n"),
	    "test.conf:2: allow: '10.0.0.1/8' has bits set past its prefix");
	assert_contains(load_err("[access]\ndeny = nowhere\n"),
	    "test.conf:2: deny:");
}

/* -T must print what reads back the same, even a value starting ';'. */
static void
print_keeps_semicolon_values(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[talk]\ngreeting=;)\n");
	char *text = NULL, *errors = NULL;
	size_t len = 0;
	FILE *fp;

	assert_string_equal(cfg->talk.greeting, ";)");
	fp = open_memstream(&text, &len);
	config_print(cfg, fp);
	fclose(fp);
	config_unref(cfg);
	cfg = load(text, NULL, &errors);
	assert_non_null(cfg);
	assert_string_equal(cfg->talk.greeting, ";)");
	config_unref(cfg);
	free(text);
}

/* [server] user and group: names that exist on this system */

static void
user_group_valid(void **state)
{
	(void)state;
	struct config *cfg = load_ok("");

	assert_string_equal(cfg->user, "");
	assert_string_equal(cfg->group, "");
	config_unref(cfg);
	cfg = key_ok("server", "user", "root");
	assert_string_equal(cfg->user, "root");
	config_unref(cfg);
	cfg = key_ok("server", "group", "root");
	assert_string_equal(cfg->group, "root");
	config_unref(cfg);
}

static void
user_group_unknown(void **state)
{
	(void)state;
	assert_contains(key_fails("server", "user", "no-such-user-echod"),
	    "'no-such-user-echod' is not a known user");
	assert_contains(key_fails("server", "group", "no-such-group-echod"),
	    "'no-such-group-echod' is not a known group");
}

/* [server] reuse_port */

static void
reuse_port_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("server", "reuse_port", "yes");

	assert_true(cfg->reuse_port);
	config_unref(cfg);
	cfg = key_ok("server", "reuse_port", "On");
	assert_true(cfg->reuse_port);
	config_unref(cfg);
	cfg = key_ok("server", "reuse_port", "false");
	assert_false(cfg->reuse_port);
	config_unref(cfg);
}

static void
reuse_port_invalid(void **state)
{
	(void)state;
	key_fails("server", "reuse_port", "maybe");
	key_fails("server", "reuse_port", "2");
}

/* [talk] reply */

static void
talk_reply_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("talk", "reply", "no");

	assert_false(cfg->talk.reply);
	config_unref(cfg);
	cfg = key_ok("talk", "reply", "TRUE");
	assert_true(cfg->talk.reply);
	config_unref(cfg);
}

static void
talk_reply_invalid(void **state)
{
	(void)state;
	key_fails("talk", "reply", "sometimes");
}

/* [talk] stop_word */

static void
talk_stop_word_set(void **state)
{
	(void)state;
	struct config *cfg = key_ok("talk", "stop_word", "BYE");

	assert_string_equal(cfg->talk.stop_word, "BYE");
	config_unref(cfg);
}

static void
talk_stop_word_empty_disables(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[talk]\nstop_word =\n");

	assert_non_null(cfg->talk.stop_word);
	assert_string_equal(cfg->talk.stop_word, "");
	config_unref(cfg);
}

/* [talk] greeting */

static void
talk_greeting_set(void **state)
{
	(void)state;
	struct config *cfg = key_ok("talk", "greeting", "hi there, friend");

	assert_string_equal(cfg->talk.greeting, "hi there, friend");
	config_unref(cfg);
}

static void
talk_greeting_empty(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[talk]\ngreeting =\n");

	assert_non_null(cfg->talk.greeting);
	assert_string_equal(cfg->talk.greeting, "");
	config_unref(cfg);
}

/* [talk] max_line */

static void
talk_max_line_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("talk", "max_line", "16");

	assert_int_equal(cfg->talk.max_line, 16);
	config_unref(cfg);
	cfg = key_ok("talk", "max_line", "8k");
	assert_int_equal(cfg->talk.max_line, 8192);
	config_unref(cfg);
	cfg = key_ok("talk", "max_line", "1m");
	assert_int_equal(cfg->talk.max_line, 1048576);
	config_unref(cfg);
}

static void
talk_max_line_invalid(void **state)
{
	(void)state;
	assert_contains(key_fails("talk", "max_line", "15"), "out of range");
	assert_contains(key_fails("talk", "max_line", "1025k"),
	    "out of range");
	key_fails("talk", "max_line", "long");
	key_fails("talk", "max_line", "1g");
}

/* [log] level */

static void
log_level_valid(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int level;
	} t[] = {
		{ "error", LEVEL_ERROR },
		{ "warning", LEVEL_WARNING },
		{ "info", LEVEL_INFO },
		{ "debug", LEVEL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct config *cfg = key_ok("log", "level", t[i].name);

		assert_int_equal(cfg->log.level, t[i].level);
		config_unref(cfg);
	}
}

static void
log_level_invalid(void **state)
{
	(void)state;
	key_fails("log", "level", "verbose");
	key_fails("log", "level", "7");
	key_fails("log", "level", "");
}

/* [log] connections */

static void
log_connections_valid(void **state)
{
	(void)state;
	struct config *cfg = key_ok("log", "connections", "off");

	assert_false(cfg->log.connections);
	config_unref(cfg);
	cfg = key_ok("log", "connections", "1");
	assert_true(cfg->log.connections);
	config_unref(cfg);
}

static void
log_connections_invalid(void **state)
{
	(void)state;
	key_fails("log", "connections", "perhaps");
}

/* [log] talk_lines, talk_bytes, talk_lines_total, talk_bytes_total */

static void
log_talk_budget_valid(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[log]\n"
	    "talk_lines = 0\n"
	    "talk_bytes = 0\n"
	    "talk_lines_total = 1000000\n"
	    "talk_bytes_total = 1024m\n");

	assert_int_equal(cfg->log.talk_lines, 0);
	assert_int_equal(cfg->log.talk_bytes, 0);
	assert_int_equal(cfg->log.talk_lines_total, 1000000);
	assert_int_equal(cfg->log.talk_bytes_total, 1024ULL * 1048576);
	config_unref(cfg);
	cfg = load_ok("[log]\n"
	    "talk_lines = 1\n"
	    "talk_bytes = 1\n"
	    "talk_lines_total = 5\n"
	    "talk_bytes_total = 2k\n");
	assert_int_equal(cfg->log.talk_lines, 1);
	assert_int_equal(cfg->log.talk_bytes, 1);
	assert_int_equal(cfg->log.talk_lines_total, 5);
	assert_int_equal(cfg->log.talk_bytes_total, 2048);
	config_unref(cfg);
}

static void
log_talk_budget_invalid(void **state)
{
	(void)state;
	assert_contains(key_fails("log", "talk_lines", "1000001"),
	    "out of range (0 to 1000000)");
	assert_contains(key_fails("log", "talk_lines_total", "-1"),
	    "is not");
	key_fails("log", "talk_lines", "10k");
	key_fails("log", "talk_lines", "");
	assert_contains(key_fails("log", "talk_bytes", "1025m"),
	    "out of range");
	assert_contains(key_fails("log", "talk_bytes_total", "1025m"),
	    "out of range");
	key_fails("log", "talk_bytes", "1g");
	key_fails("log", "talk_bytes_total", "lots");
	/* [talk] is the protocol's; the budget is the log's. */
	assert_contains(key_fails("talk", "talk_lines", "5"), "unknown key");
}

/* Structure errors */

static void
unknown_key_names_key_and_line(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "backlog = 10\n"
	    "bogus_key = 1\n");

	assert_contains(err, "test.conf:3:");
	assert_contains(err, "bogus_key");
}

static void
key_in_wrong_section_is_unknown(void **state)
{
	(void)state;
	const char *err = load_err("[talk]\nmode = talk\n");

	assert_contains(err, "test.conf:2:");
	assert_contains(err, "mode");
}

static void
unknown_section_reported_at_header(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "mode = echo\n"
	    "\n"
	    "[bogus]\n");

	assert_contains(err, "test.conf:4:");
	assert_contains(err, "bogus");
}

static void
repeated_key_reported_at_second(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "backlog = 10\n"
	    "mode = echo\n"
	    "backlog = 20\n");

	assert_contains(err, "test.conf:4: backlog:");
	assert_contains(err, "repeated");
	assert_not_contains(err, "test.conf:2:");
}

static void
key_before_section_is_error(void **state)
{
	(void)state;
	const char *err = load_err("mode = talk\n[server]\nbacklog = 5\n");

	assert_contains(err, "test.conf:1:");
	assert_contains(err, "mode");
}

static void
syntax_error_line(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "mode = echo\n"
	    "just words\n");

	assert_contains(err, "test.conf:3:");
}

static void
unterminated_section_is_error(void **state)
{
	(void)state;
	const char *err = load_err("[server]\nmode = echo\n[talk\n");

	assert_contains(err, "test.conf:3:");
}

/* Builds "greeting = ggg...g" of exactly len characters. */
static void
greeting_line(char *buf, size_t len)
{
	size_t prefix = strlen("greeting = ");

	memcpy(buf, "greeting = ", prefix);
	memset(buf + prefix, 'g', len - prefix);
	buf[len] = '\0';
}

/* With LF or CR LF line ends: the CR does not count. */
static void
line_of_198_is_fine(void **state)
{
	(void)state;
	static const char *const ends[] = { "\n", "\r\n" };
	char line[199], text[512];
	struct config *cfg;
	size_t i;

	greeting_line(line, 198);
	for (i = 0; i < 2; i++) {
		snprintf(text, sizeof(text), "[talk]%s%s%s", ends[i], line,
		    ends[i]);
		cfg = load_ok(text);
		assert_int_equal(strlen(cfg->talk.greeting), 198 - 11);
		config_unref(cfg);
	}
}

static void
line_of_199_is_too_long(void **state)
{
	(void)state;
	char line[200], text[512];

	greeting_line(line, 199);
	snprintf(text, sizeof(text), "[talk]\n%s\n", line);
	const char *err = load_err(text);

	assert_contains(err, "test.conf:2:");
	assert_contains(err, "too long");
}

static void
long_line_keeps_line_numbers(void **state)
{
	(void)state;
	char line[301], text[1024];

	greeting_line(line, 300);
	snprintf(text, sizeof(text),
	    "[talk]\n"		/* 1 */
	    "reply = yes\n"	/* 2 */
	    "%s\n"		/* 3: too long */
	    "; comment\n"	/* 4 */
	    "[server]\n"	/* 5 */
	    "mode = talk\n"	/* 6 */
	    "backlog = 0\n",	/* 7 */
	    line);
	const char *err = load_err(text);

	assert_contains(err, "test.conf:3:");
	assert_contains(err, "too long");
	assert_contains(err, "test.conf:7: backlog:");
	/* The rest of line 3 must not be read as a line of its own. */
	assert_not_contains(err, "test.conf:4:");
	assert_not_contains(err, "test.conf:8:");
}

/* A long line is counted to its end, however long, and not kept. */
static void
long_line_length_is_counted(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(n + 32);
	const char *err;

	assert_non_null(text);
	memcpy(text, "[talk]\ngreeting = ", 18);
	memset(text + 18, 'g', n - 11);
	strcpy(text + 18 + n - 11, "\nreply = x\n");
	err = load_err(text);
	free(text);
	assert_contains(err, "test.conf:2: line too long (100000 characters; "
	    "at most 198)");
	assert_contains(err, "test.conf:3: reply:");
}

/* Loads n bytes (NULs and all) as "test.conf"; returns the errors. */
static char *
load_bytes_err(const char *bytes, size_t n)
{
	FILE *fp = read_only_stream(bytes, n);
	struct config *cfg;
	char *errors = NULL;

	assert_non_null(fp);
	cfg = config_load_stream(fp, "test.conf", NULL, &errors);
	fclose(fp);
	assert_null(cfg);
	assert_non_null(errors);
	return errors;
}

/* Up to CONFIG_MAX_BYTES is read; beyond, the size is the only error. */
static void
stream_over_size_limit(void **state)
{
	(void)state;
	size_t n = CONFIG_MAX_BYTES + 1;
	char *text = malloc(n + 1), *err;
	struct config *cfg;
	FILE *fp;

	assert_non_null(text);
	memset(text, '\n', n);
	memcpy(text, "[server]\nbacklog = x\n", 22);
	fp = fmemopen(text, n - 1, "r");
	assert_non_null(fp);
	err = NULL;
	cfg = config_load_stream(fp, "test.conf", NULL, &err);
	fclose(fp);
	/* Exactly CONFIG_MAX_BYTES: read whole, the bad backlog found. */
	assert_null(cfg);
	assert_contains(err, "test.conf:2: backlog:");
	free(err);
	err = load_bytes_err(text, n);
	assert_string_equal(err, "test.conf: larger than 1 MiB; stopped "
	    "reading\n");
	free(err);
	free(text);
}

/* Files saved on Windows: a BOM, CR LF line ends. */
static void
bom_and_crlf_accepted(void **state)
{
	(void)state;
	struct config *cfg = load_ok("\xef\xbb\xbf[talk]\r\n"
	    "greeting = hi there\r\n"
	    "\r\n"
	    "; comment\r\n"
	    "stop_word = BYE\r\n"
	    "[server]\r\n"
	    "mode = talk");

	assert_string_equal(cfg->talk.greeting, "hi there");
	assert_string_equal(cfg->talk.stop_word, "BYE");
	assert_int_equal(cfg->mode, MODE_TALK);
	config_unref(cfg);
	/* A BOM alone, a BOM before a key, a CR at the very end. */
	config_unref(load_ok("\xef\xbb\xbf"));
	cfg = load_ok("\xef\xbb\xbf[server]\nmode = talk\r");
	assert_int_equal(cfg->mode, MODE_TALK);
	config_unref(cfg);
}

/* Only the first line may start with a BOM. */
static void
bom_after_line_1_is_error(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n\xef\xbb\xbfmode = talk\n");

	assert_contains(err, "test.conf:2: \\xef\\xbb\\xbfmode: unknown key");
}

/* A CR that does not end a line is an error, once, at its line. */
static void
lone_cr_is_error(void **state)
{
	(void)state;
	const char *err = load_err("[server]\r\n"
	    "mode = echo\rmode = talk\n"
	    "[talk]\r\n"
	    "reply = x\n");

	assert_contains(err, "test.conf:2: carriage return (CR) inside the "
	    "line; lines end in LF or CR LF\n");
	assert_contains(err, "test.conf:4: reply:");
	assert_not_contains(err, "test.conf:3:");
	assert_contains(load_err("[server]\rmode = talk\n"),
	    "test.conf:1: carriage return");
	/* Of two CRs before the LF, only the last ends the line. */
	assert_contains(load_err("[server]\r\r\n"),
	    "test.conf:1: carriage return");
}

static void
multiple_errors_all_reported(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "backlog = x\n"
	    "mode = echo\n"
	    "[talk]\n"
	    "max_line = 1\n"
	    "reply = yes\n");

	assert_contains(err, "test.conf:2: backlog:");
	assert_contains(err, "test.conf:5: max_line:");
}

static void
errors_are_one_per_line(void **state)
{
	(void)state;
	const char *err = load_err("[server]\n"
	    "backlog = x\n"
	    "max_connections = y\n");
	const char *second = strstr(err, "test.conf:3:");

	assert_non_null(second);
	assert_true(second > err);
	assert_int_equal(second[-1], '\n');
	assert_int_equal(strncmp(err, "test.conf:2:", 12), 0);
}

/* Syntax niceties */

static void
comments_and_blank_lines(void **state)
{
	(void)state;
	struct config *cfg = load_ok("; a comment\n"
	    "# another comment\n"
	    "\n"
	    "[server]\n"
	    "   \n"
	    "; mode = echo\n"
	    "# backlog = 1\n"
	    "mode = talk\n");

	assert_int_equal(cfg->mode, MODE_TALK);
	assert_int_equal(cfg->backlog, 4096);
	config_unref(cfg);
}

static void
indented_key(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\n   mode = talk\n\tbacklog = 7\n");

	assert_int_equal(cfg->mode, MODE_TALK);
	assert_int_equal(cfg->backlog, 7);
	config_unref(cfg);
}

static void
inline_comment(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\nmode = talk ; comment\n"
	    "backlog = 9 ; nine\n");

	assert_int_equal(cfg->mode, MODE_TALK);
	assert_int_equal(cfg->backlog, 9);
	config_unref(cfg);
}

static void
no_spaces_around_equals(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\nmode=talk\n");

	assert_int_equal(cfg->mode, MODE_TALK);
	config_unref(cfg);
}

static void
last_line_without_newline(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[server]\nbacklog = 42");

	assert_int_equal(cfg->backlog, 42);
	config_unref(cfg);
}

/* Reference counting */

static void
refs_start_at_one(void **state)
{
	(void)state;
	struct config *cfg = load_ok("");

	assert_int_equal(atomic_load(&cfg->refs), 1);
	assert_ptr_equal(config_ref(cfg), cfg);
	assert_int_equal(atomic_load(&cfg->refs), 2);
	config_unref(cfg);
	assert_int_equal(atomic_load(&cfg->refs), 1);
	config_unref(cfg);
}

/* Overrides */

static const char override_file[] = "[server]\n"
    "listen = 127.0.0.1:1\n"
    "listen = 127.0.0.1:2\n"
    "mode = echo\n"
    "[log]\n"
    "level = error\n";

static void
overrides_replace_listen_and_mode(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;
	char *errors = NULL;

	memset(&ov, 0, sizeof(ov));
	ov.listen[0] = "[::1]:9";
	ov.n_listen = 1;
	ov.mode = MODE_TALK;
	cfg = load(override_file, &ov, &errors);
	if (cfg == NULL)
		fail_msg("rejected: %s", errors);
	assert_int_equal(cfg->n_listen, 1);
	assert_string_equal(cfg->listen[0], "[::1]:9");
	assert_int_equal(cfg->mode, MODE_TALK);
	assert_int_equal(cfg->log.level, LEVEL_ERROR);
	config_unref(cfg);
}

static void
overrides_debug_forces_debug_level(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;
	char *errors = NULL;

	memset(&ov, 0, sizeof(ov));
	ov.mode = -1;
	ov.debug = true;
	cfg = load(override_file, &ov, &errors);
	if (cfg == NULL)
		fail_msg("rejected: %s", errors);
	assert_int_equal(cfg->log.level, LEVEL_DEBUG);
	assert_int_equal(cfg->mode, MODE_ECHO);
	config_unref(cfg);
}

static void
empty_overrides_keep_file(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;
	char *errors = NULL;

	memset(&ov, 0, sizeof(ov));
	ov.mode = -1;
	cfg = load("[server]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n"
	    "mode = talk\n[log]\nlevel = warning\n", &ov, &errors);
	if (cfg == NULL)
		fail_msg("rejected: %s", errors);
	assert_int_equal(cfg->n_listen, 2);
	assert_string_equal(cfg->listen[1], "127.0.0.1:2");
	assert_int_equal(cfg->mode, MODE_TALK);
	assert_int_equal(cfg->log.level, LEVEL_WARNING);
	config_unref(cfg);
}

/* config_print round trip */

static void
print_round_trips(void **state)
{
	(void)state;
	struct config *a = load_ok("[server]\n"
	    "listen = 127.0.0.1:7007\n"
	    "listen = [::1]:8\n"
	    "listen = *:9\n"
	    "backlog = 17\n"
	    "mode = talk\n"
	    "max_connections = 33\n"
	    "idle_timeout = 250ms\n"
	    "buffer_size = 96k\n"
	    "thread_stack_size = 1m\n"
	    "shutdown_timeout = 0\n"
	    "reuse_port = yes\n"
	    "[talk]\n"
	    "reply = no\n"
	    "stop_word =\n"
	    "greeting = hello there\n"
	    "max_line = 100\n"
	    "[log]\n"
	    "level = debug\n"
	    "connections = off\n"
	    "talk_lines = 7\n"
	    "talk_bytes = 3000\n"
	    "talk_lines_total = 0\n"
	    "talk_bytes_total = 5m\n");
	char *text = NULL;
	size_t textlen = 0;
	FILE *fp = open_memstream(&text, &textlen);
	struct config *b;

	assert_non_null(fp);
	config_print(a, fp);
	assert_int_equal(fclose(fp), 0);
	b = load_ok(text);

	assert_int_equal(b->n_listen, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(b->listen[i], a->listen[i]);
	assert_int_equal(b->backlog, 17);
	assert_int_equal(b->mode, MODE_TALK);
	assert_int_equal(b->max_connections, 33);
	assert_int_equal(b->idle_timeout_ms, 250);
	assert_int_equal(b->buffer_size, 96 * 1024);
	assert_int_equal(b->thread_stack_size, 1048576);
	assert_int_equal(b->shutdown_timeout_ms, 0);
	assert_true(b->reuse_port);
	assert_false(b->talk.reply);
	assert_string_equal(b->talk.stop_word, "");
	assert_string_equal(b->talk.greeting, "hello there");
	assert_int_equal(b->talk.max_line, 100);
	assert_int_equal(b->log.level, LEVEL_DEBUG);
	assert_false(b->log.connections);
	assert_int_equal(b->log.talk_lines, 7);
	assert_int_equal(b->log.talk_bytes, 3000);
	assert_int_equal(b->log.talk_lines_total, 0);
	assert_int_equal(b->log.talk_bytes_total, 5 * 1048576);
	config_unref(b);
	config_unref(a);
	free(text);
}

static void
print_round_trips_defaults(void **state)
{
	(void)state;
	struct config *a = load_ok("");
	char *text = NULL;
	size_t textlen = 0;
	FILE *fp = open_memstream(&text, &textlen);
	struct config *b;

	assert_non_null(fp);
	config_print(a, fp);
	assert_int_equal(fclose(fp), 0);
	b = load_ok(text);
	assert_int_equal(b->n_listen, 1);
	assert_string_equal(b->listen[0], "*:7");
	assert_int_equal(b->idle_timeout_ms, 300000);
	assert_int_equal(b->buffer_size, 16384);
	assert_int_equal(b->thread_stack_size, 65536);
	assert_int_equal(b->shutdown_timeout_ms, 10000);
	assert_string_equal(b->talk.stop_word, "STOP");
	assert_string_equal(b->talk.greeting, "");
	assert_int_equal(b->talk.max_line, 4096);
	assert_int_equal(b->log.level, LEVEL_INFO);
	config_unref(b);
	config_unref(a);
	free(text);
}

/* Mode names */

static void
mode_parse_names(void **state)
{
	(void)state;
	assert_int_equal(config_mode_parse("echo"), MODE_ECHO);
	assert_int_equal(config_mode_parse("talk"), MODE_TALK);
	assert_int_equal(config_mode_parse("bogus"), -1);
	assert_int_equal(config_mode_parse(""), -1);
}

static void
mode_name_round_trips(void **state)
{
	(void)state;
	assert_string_equal(config_mode_name(MODE_ECHO), "echo");
	assert_string_equal(config_mode_name(MODE_TALK), "talk");
}

/* config_load from a path */

static void
load_missing_path(void **state)
{
	(void)state;
	const char *path = "/nonexistent-echod-dir/echod.conf";
	char *errors = NULL;
	struct config *cfg = config_load(path, NULL, &errors);

	assert_null(cfg);
	assert_non_null(errors);
	assert_contains(errors, path);
	assert_contains(errors, "No such file");
	free(errors);
}

static void
load_real_file_names_path(void **state)
{
	(void)state;
	char path[] = "/tmp/echod-unit-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[server]\nmode = talk\nbacklog = 0\n";
	char *errors = NULL;
	char want[64];
	struct config *cfg;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	cfg = config_load(path, NULL, &errors);
	unlink(path);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:3: backlog:", path);
	assert_contains(errors, want);
	free(errors);
}

static void
load_real_file_ok(void **state)
{
	(void)state;
	char path[] = "/tmp/echod-unit-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[server]\nmode = talk\n";
	char *errors = NULL;
	struct config *cfg;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	cfg = config_load(path, NULL, &errors);
	unlink(path);
	if (cfg == NULL)
		fail_msg("rejected: %s", errors);
	assert_int_equal(cfg->mode, MODE_TALK);
	config_unref(cfg);
}

int
run_config_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_file_gives_defaults),
		cmocka_unit_test(empty_sections_give_defaults),
		cmocka_unit_test(listen_single_replaces_default),
		cmocka_unit_test(listen_is_repeatable),
		cmocka_unit_test(listen_accepts_64),
		cmocka_unit_test(listen_rejects_65),
		cmocka_unit_test(listen_rejects_bad_spec),
		cmocka_unit_test(listen_same_socket_is_error),
		cmocka_unit_test(listen_distinct_sockets_are_fine),
		cmocka_unit_test(listen_kinds_clash_within_a_kind),
		cmocka_unit_test(listen_rejects_bad_kinds),
		cmocka_unit_test(listen_values_resolved_at_load),
		cmocka_unit_test(backlog_valid),
		cmocka_unit_test(backlog_invalid),
		cmocka_unit_test(backlog_out_of_range),
		cmocka_unit_test(mode_valid),
		cmocka_unit_test(mode_invalid),
		cmocka_unit_test(max_connections_valid),
		cmocka_unit_test(max_connections_not_a_number_exact),
		cmocka_unit_test(max_connections_out_of_range),
		cmocka_unit_test(idle_timeout_valid),
		cmocka_unit_test(idle_timeout_zero_means_never),
		cmocka_unit_test(idle_timeout_max_seven_days),
		cmocka_unit_test(idle_timeout_invalid),
		cmocka_unit_test(buffer_size_valid),
		cmocka_unit_test(buffer_size_invalid),
		cmocka_unit_test(buffer_size_out_of_range),
		cmocka_unit_test(min_stack_is_sane),
		cmocka_unit_test(thread_stack_size_valid),
		cmocka_unit_test(thread_stack_size_min_is_system_min),
		cmocka_unit_test(thread_stack_size_invalid),
		cmocka_unit_test(shutdown_timeout_valid),
		cmocka_unit_test(shutdown_timeout_invalid),
		cmocka_unit_test(admission_keys),
		cmocka_unit_test(print_keeps_semicolon_values),
		cmocka_unit_test(access_rules_repeat_and_print),
		cmocka_unit_test(user_group_valid),
		cmocka_unit_test(user_group_unknown),
		cmocka_unit_test(reuse_port_valid),
		cmocka_unit_test(reuse_port_invalid),
		cmocka_unit_test(talk_reply_valid),
		cmocka_unit_test(talk_reply_invalid),
		cmocka_unit_test(talk_stop_word_set),
		cmocka_unit_test(talk_stop_word_empty_disables),
		cmocka_unit_test(talk_greeting_set),
		cmocka_unit_test(talk_greeting_empty),
		cmocka_unit_test(talk_max_line_valid),
		cmocka_unit_test(talk_max_line_invalid),
		cmocka_unit_test(log_level_valid),
		cmocka_unit_test(log_level_invalid),
		cmocka_unit_test(log_connections_valid),
		cmocka_unit_test(log_connections_invalid),
		cmocka_unit_test(log_talk_budget_valid),
		cmocka_unit_test(log_talk_budget_invalid),
		cmocka_unit_test(unknown_key_names_key_and_line),
		cmocka_unit_test(key_in_wrong_section_is_unknown),
		cmocka_unit_test(unknown_section_reported_at_header),
		cmocka_unit_test(repeated_key_reported_at_second),
		cmocka_unit_test(key_before_section_is_error),
		cmocka_unit_test(syntax_error_line),
		cmocka_unit_test(unterminated_section_is_error),
		cmocka_unit_test(line_of_198_is_fine),
		cmocka_unit_test(line_of_199_is_too_long),
		cmocka_unit_test(long_line_keeps_line_numbers),
		cmocka_unit_test(long_line_length_is_counted),
		cmocka_unit_test(stream_over_size_limit),
		cmocka_unit_test(bom_and_crlf_accepted),
		cmocka_unit_test(bom_after_line_1_is_error),
		cmocka_unit_test(lone_cr_is_error),
		cmocka_unit_test(multiple_errors_all_reported),
		cmocka_unit_test(errors_are_one_per_line),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(indented_key),
		cmocka_unit_test(inline_comment),
		cmocka_unit_test(no_spaces_around_equals),
		cmocka_unit_test(last_line_without_newline),
		cmocka_unit_test(refs_start_at_one),
		cmocka_unit_test(overrides_replace_listen_and_mode),
		cmocka_unit_test(overrides_debug_forces_debug_level),
		cmocka_unit_test(empty_overrides_keep_file),
		cmocka_unit_test(print_round_trips),
		cmocka_unit_test(print_round_trips_defaults),
		cmocka_unit_test(mode_parse_names),
		cmocka_unit_test(mode_name_round_trips),
		cmocka_unit_test(load_missing_path),
		cmocka_unit_test(load_real_file_names_path),
		cmocka_unit_test(load_real_file_ok),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
