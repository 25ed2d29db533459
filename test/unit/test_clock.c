/* Unit tests for clock.c: the monotonic helpers and poll()'s timeout. */
#include "unit.h"

#include <limits.h>

#include "clock.h"

static void
poll_timeout_passes_small_waits(void **state)
{
	(void)state;
	assert_int_equal(clock_poll_timeout(0), 0);
	assert_int_equal(clock_poll_timeout(1), 1);
	assert_int_equal(clock_poll_timeout(INT_MAX), INT_MAX);
}

static void
poll_timeout_keeps_no_timer(void **state)
{
	(void)state;
	assert_int_equal(clock_poll_timeout(-1), -1);
	assert_int_equal(clock_poll_timeout(LLONG_MIN), -1);
}

/* A cast would make 2^32 + 5 ms five, and 2^32 - 1 ms no timer at all. */
static void
poll_timeout_cuts_long_waits(void **state)
{
	(void)state;
	assert_int_equal(clock_poll_timeout((1LL << 32) + 5), INT_MAX);
	assert_int_equal(clock_poll_timeout((1LL << 32) - 1), INT_MAX);
	assert_int_equal(clock_poll_timeout(1LL << 32), INT_MAX);
	assert_int_equal(clock_poll_timeout(LLONG_MAX), INT_MAX);
}

/* The largest watchdog interval (2^64 - 1 us, halved) does not overflow. */
static void
far_deadline_stays_far(void **state)
{
	struct timespec t = clock_after_ms(~0ULL / 2000);

	(void)state;
	assert_true(clock_ms_until(&t) > INT_MAX);
	t = clock_after_ms(250);
	assert_in_range(clock_ms_until(&t), 0, 250);
}

int
run_clock_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(poll_timeout_passes_small_waits),
		cmocka_unit_test(poll_timeout_keeps_no_timer),
		cmocka_unit_test(poll_timeout_cuts_long_waits),
		cmocka_unit_test(far_deadline_stays_far),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
