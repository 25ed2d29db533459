/* Shared declarations and helpers for the echod unit tests. */
#ifndef ECHOD_TEST_UNIT_H
#define ECHOD_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Each runs one cmocka group and returns its number of failures. */
int run_units_tests(void);
int run_config_tests(void);
int run_addr_tests(void);
int run_talk_tests(void);
int run_log_tests(void);
int run_acl_tests(void);
int run_clock_tests(void);
int run_budget_tests(void);
int run_srctab_tests(void);
int run_proto_tests(void);
int run_proxy_tests(void);
int run_relay_tests(void);
int run_udp_tests(void);

#include <stdio.h>

/* A stream reading bytes[0..n), which it never writes (fmemopen "r"). */
FILE *read_only_stream(const void *bytes, size_t n);

struct config;

/* The configuration text reads as (the test fails if it is rejected). */
struct config *config_of_text(const char *text);

/* How many lines s has (its LF characters). */
unsigned lines(const char *s);

/* Runs fn with stderr on a pipe; returns what it wrote (static). */
const char *capture_stderr(void (*fn)(void));

/* Fails unless needle occurs in haystack; shows both. */
#define assert_contains(haystack, needle) do {				\
	const char *h_ = (haystack), *n_ = (needle);			\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("expected \"%s\" in \"%s\"", n_,		\
		    h_ != NULL ? h_ : "(null)");			\
} while (0)

/* Fails if needle occurs in haystack. */
#define assert_not_contains(haystack, needle) do {			\
	const char *h_ = (haystack), *n_ = (needle);			\
	if (h_ != NULL && strstr(h_, n_) != NULL)			\
		fail_msg("did not expect \"%s\" in \"%s\"", n_, h_);	\
} while (0)

#endif
