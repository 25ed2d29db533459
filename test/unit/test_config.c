/*
 * Tests for config.h that a golden file cannot express: the error list
 * itself (out of memory too), overrides, resolution, what depends on the
 * system, reference counting and inputs too large for a file.  Every
 * key's values, messages and -T output are golden files in test/golden/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <netinet/in.h>

#include "unit.h"
#include "addr.h"
#include "config.h"
#include "log.h"
#include "proto.h"

/* The lines of errors, each ended by '\n', in static storage. */
static const char *
joined(const struct config_errors *errors)
{
	static char text[16384];
	size_t i, off = 0;

	text[0] = '\0';
	for (i = 0; i < errors->n && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\n",
		    errors->line[i]);
	return text;
}

/*
 * Loads n bytes as "test.conf" with ov (may be NULL), from a copy of
 * exactly n bytes: a read past the end is a sanitizer's report.
 */
static struct config *
load_bytes(const char *bytes, size_t n, const struct config_overrides *ov,
    struct config_errors *errors)
{
	char *copy = malloc(n > 0 ? n : 1);
	struct config *cfg;
	FILE *fp;

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	if ((fp = fmemopen(copy, n, "r")) == NULL)
		fail_msg("fmemopen: %s", strerror(errno));
	cfg = config_load_stream(fp, "test.conf", ov, errors);
	fclose(fp);
	free(copy);
	if ((cfg == NULL) != (errors->n > 0))
		fail_msg("config_load_stream: %s with %zu error lines",
		    cfg == NULL ? "failed" : "loaded", errors->n);
	return cfg;
}

/* Expects text to load with ov; fails the test with the errors if not. */
static struct config *
load_ov(const char *text, const struct config_overrides *ov)
{
	struct config_errors errors;
	struct config *cfg = load_bytes(text, strlen(text), ov, &errors);

	if (cfg == NULL) {
		print_error("--- config ---\n%s--- errors ---\n%s", text,
		    joined(&errors));
		config_errors_free(&errors);
		fail_msg("config was rejected");
	}
	return cfg;
}

static struct config *
load_ok(const char *text)
{
	return load_ov(text, NULL);
}

/* Expects n bytes to be rejected; returns the error lines (static). */
static const char *
load_bytes_err(const char *bytes, size_t n)
{
	struct config_errors errors;
	struct config *cfg = load_bytes(bytes, n, NULL, &errors);
	const char *text;

	if (cfg != NULL) {
		config_unref(cfg);
		fail_msg("config was accepted:\n%.*s", (int)n, bytes);
	}
	text = joined(&errors);
	config_errors_free(&errors);
	return text;
}

static const char *
load_err(const char *text)
{
	return load_bytes_err(text, strlen(text));
}

/* Overrides with none set. */
static void
no_overrides(struct config_overrides *ov)
{
	memset(ov, 0, sizeof(*ov));
	ov->mode = NULL;
}

/* The error list */

/* Each error is a line of its own, in file order, without a newline. */
static void
errors_are_a_list_of_lines(void **state)
{
	(void)state;
	static const char text[] = "[server]\nbacklog = x\n"
	    "max_connections = y\n[bogus]\n";
	struct config_errors errors;
	size_t i;

	assert_null(load_bytes(text, strlen(text), NULL, &errors));
	assert_int_equal(errors.n, 3);
	assert_string_equal(errors.line[0],
	    "test.conf:2: backlog: 'x' is not a number");
	assert_string_equal(errors.line[1],
	    "test.conf:3: max_connections: 'y' is not a number");
	assert_string_equal(errors.line[2], "test.conf:4: unknown section "
	    "[bogus] (known: [server], [talk], [access], [log])");
	for (i = 0; i < errors.n; i++)
		assert_null(strchr(errors.line[i], '\n'));
	config_errors_free(&errors);
	assert_int_equal(errors.n, 0);
	config_errors_free(&errors);	/* an empty list frees too */
}

/*
 * An allocation that fails while errors are collected (strdup gives
 * NULL) leaves a line saying so in its place: the list is never empty
 * and never holds NULL, so whoever prints it has a line to print.
 */
static void
errors_out_of_memory_says_so(void **state)
{
	(void)state;
	struct config_errors errors = { .n = 0 };
	char *first = strdup("test.conf:2: first");

	assert_non_null(first);
	config_errors_add(&errors, NULL);
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.line[0], CONFIG_ERRORS_OOM);
	assert_string_equal(errors.line[0],
	    "out of memory while reporting errors");
	config_errors_free(&errors);

	/* Kept lines stay; failures in a row make one line. */
	config_errors_add(&errors, first);
	config_errors_add(&errors, NULL);
	config_errors_add(&errors, NULL);
	config_errors_add(&errors, strdup("test.conf:5: last"));
	config_errors_add(&errors, NULL);
	assert_int_equal(errors.n, 4);
	assert_string_equal(joined(&errors), "test.conf:2: first\n"
	    CONFIG_ERRORS_OOM "\ntest.conf:5: last\n" CONFIG_ERRORS_OOM "\n");
	config_errors_free(&errors);	/* the OOM line is not freed */
	assert_int_equal(errors.n, 0);
}

/* The list holds CONFIG_ERRORS_MAX lines; more are dropped, not kept. */
static void
errors_list_is_bounded(void **state)
{
	(void)state;
	struct config_errors errors = { .n = 0 };
	char text[1024];
	size_t i, off;

	for (i = 0; i < CONFIG_ERRORS_MAX + 3; i++)
		config_errors_add(&errors, strdup("an error"));
	config_errors_add(&errors, NULL);
	assert_int_equal(errors.n, CONFIG_ERRORS_MAX);
	config_errors_free(&errors);

	/* A file stops at its 20th error, so its errors always fit. */
	off = (size_t)snprintf(text, sizeof(text), "[server]\n");
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "bogus%zu = 1\n", i);
	assert_true(off < sizeof(text));
	assert_contains(load_err(text), "test.conf:21: bogus19: unknown "
	    "key in [server]\ntest.conf: too many errors; stopped reading\n");
	assert_not_contains(load_err(text), "bogus20");
}

/* [server] listen: what only resolution or the system can say */

/*
 * Two values that mean one socket: the second bind() would fail.  Which
 * address "*:PORT" names is the system's ([::] or 0.0.0.0), so this is
 * no golden file; test/golden/listen_same_socket_* has the others.
 */
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

	no_overrides(&ov);
	ov.listen[0] = "[::1]:9";
	ov.n_listen = 1;
	cfg = load_ov("[server]\nlisten = 127.0.0.1:7007\n", &ov);
	assert_int_equal(cfg->n_listen, 1);
	assert_int_equal(cfg->addrs[0].n, 1);
	assert_int_equal(cfg->addrs[0].v[0].sa.ss_family, AF_INET6);
	assert_true(cfg->addrs[0].v[0].v6only);
	assert_int_equal(port_of(&cfg->addrs[0].v[0]), 9);
	config_unref(cfg);
}

/* [server] thread_stack_size: its lower bound is the system's */

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
thread_stack_size_min_is_system_min(void **state)
{
	(void)state;
	size_t min = config_min_stack();
	char text[128], want[128];
	struct config *cfg;

	snprintf(text, sizeof(text), "[server]\nthread_stack_size = %zu\n",
	    min);
	cfg = load_ok(text);
	assert_int_equal(cfg->thread_stack_size, min);
	config_unref(cfg);
	snprintf(text, sizeof(text), "[server]\nthread_stack_size = %zu\n",
	    min - 1);
	snprintf(want, sizeof(want), "test.conf:2: thread_stack_size: '%zu' "
	    "is out of range (%zu to 67108864)\n", min - 1, min);
	assert_string_equal(load_err(text), want);
}

/* The message names the system's minimum, so it is no golden file. */
static void
thread_stack_size_above_range(void **state)
{
	(void)state;
	char want[128];

	snprintf(want, sizeof(want), "test.conf:2: thread_stack_size: '65m' "
	    "is out of range (%zu to 67108864)\n", config_min_stack());
	assert_string_equal(load_err("[server]\nthread_stack_size = 65m\n"),
	    want);
}

/* Inputs too large for a golden file */

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

/* Up to CONFIG_MAX_BYTES is read; beyond, the size is the only error. */
static void
stream_over_size_limit(void **state)
{
	(void)state;
	size_t n = CONFIG_MAX_BYTES + 1;
	char *text = malloc(n + 1);

	assert_non_null(text);
	memset(text, '\n', n);
	memcpy(text, "[server]\nbacklog = x\n", 22);
	/* Exactly CONFIG_MAX_BYTES: read whole, the bad backlog found. */
	assert_contains(load_bytes_err(text, n - 1), "test.conf:2: backlog:");
	assert_string_equal(load_bytes_err(text, n), "test.conf: larger than "
	    "1 MiB; stopped reading\n");
	free(text);
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

	no_overrides(&ov);
	ov.listen[0] = "[::1]:9";
	ov.n_listen = 1;
	ov.mode = proto_find("talk");
	cfg = load_ov(override_file, &ov);
	assert_int_equal(cfg->n_listen, 1);
	assert_string_equal(cfg->listen[0], "[::1]:9");
	assert_string_equal(cfg->mode->name, "talk");
	assert_int_equal(cfg->log.level, LEVEL_ERROR);
	config_unref(cfg);
}

static void
overrides_debug_forces_debug_level(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;

	no_overrides(&ov);
	ov.debug = true;
	cfg = load_ov(override_file, &ov);
	assert_int_equal(cfg->log.level, LEVEL_DEBUG);
	assert_string_equal(cfg->mode->name, "echo");
	config_unref(cfg);
}

static void
empty_overrides_keep_file(void **state)
{
	(void)state;
	struct config_overrides ov;
	struct config *cfg;

	no_overrides(&ov);
	cfg = load_ov("[server]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n"
	    "mode = talk\n[log]\nlevel = warning\n", &ov);
	assert_int_equal(cfg->n_listen, 2);
	assert_string_equal(cfg->listen[1], "127.0.0.1:2");
	assert_string_equal(cfg->mode->name, "talk");
	assert_int_equal(cfg->log.level, LEVEL_WARNING);
	config_unref(cfg);
}

/* config_load from a path that is not there (no golden file can be). */
static void
load_missing_path(void **state)
{
	(void)state;
	const char *path = "/nonexistent-echod-dir/echod.conf";
	struct config_errors errors;

	assert_null(config_load(path, NULL, &errors));
	assert_int_equal(errors.n, 1);
	assert_string_equal(errors.line[0], "/nonexistent-echod-dir/"
	    "echod.conf: No such file or directory");
	config_errors_free(&errors);
}

int
run_config_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_are_a_list_of_lines),
		cmocka_unit_test(errors_out_of_memory_says_so),
		cmocka_unit_test(errors_list_is_bounded),
		cmocka_unit_test(listen_same_socket_is_error),
		cmocka_unit_test(listen_values_resolved_at_load),
		cmocka_unit_test(min_stack_is_sane),
		cmocka_unit_test(thread_stack_size_min_is_system_min),
		cmocka_unit_test(thread_stack_size_above_range),
		cmocka_unit_test(long_line_length_is_counted),
		cmocka_unit_test(stream_over_size_limit),
		cmocka_unit_test(refs_start_at_one),
		cmocka_unit_test(overrides_replace_listen_and_mode),
		cmocka_unit_test(overrides_debug_forces_debug_level),
		cmocka_unit_test(empty_overrides_keep_file),
		cmocka_unit_test(load_missing_path),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
