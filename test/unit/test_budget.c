/* Tests for budget.h: token buckets on a clock the test sets, no waiting. */
#include <pthread.h>

#include "unit.h"
#include "budget.h"

/* Passes one line of bytes at now_ms if b allows it; true if it did. */
static bool
pass(struct budget *b, const struct budget_rates *r, unsigned long long bytes,
    long long now_ms)
{
	if (!budget_ready(b, r, now_ms))
		return false;
	budget_charge(b, r, bytes);
	return true;
}

/* How many lines of bytes pass at now_ms, trying up to max. */
static int
burst(struct budget *b, const struct budget_rates *r,
    unsigned long long bytes, long long now_ms, int max)
{
	int n = 0;

	while (n < max && pass(b, r, bytes, now_ms))
		n++;
	return n;
}

static void
starts_full_with_one_second(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 10, 0 };

	assert_int_equal(burst(&b, &r, 50, 5000, 100), 10);
	assert_false(budget_ready(&b, &r, 5000));
}

/* How many lines pass, one tried every millisecond, after the first second. */
static int
tried_every_ms(unsigned long long rate, long long ms)
{
	struct budget b = { 0 };
	struct budget_rates r = { rate, 0 };
	long long t;
	int n = 0;

	burst(&b, &r, 1, 0, 1000000);
	for (t = 1; t <= ms; t++)
		n += pass(&b, &r, 1, t);
	return n;
}

static void
refills_at_the_rate(void **state)
{
	(void)state;
	assert_in_range(tried_every_ms(10, 10000), 99, 101);
	/* A third of a line a second: none may be lost to rounding. */
	assert_in_range(tried_every_ms(3, 60000), 179, 181);
	assert_in_range(tried_every_ms(1000, 5000), 4999, 5001);
}

static void
holds_one_second_at_most(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 20, 0 };

	burst(&b, &r, 1, 0, 100);
	/* An hour (or a year) of silence saves up one second's worth. */
	assert_int_equal(burst(&b, &r, 1, 3600LL * 1000, 1000), 20);
	assert_int_equal(burst(&b, &r, 1, 400LL * 24 * 3600 * 1000, 1000),
	    20);
}

static void
bytes_bucket_limits_too(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 1000, 100 };

	/* 100 bytes a second, lines of 10: the bytes decide. */
	assert_int_equal(burst(&b, &r, 10, 0, 1000), 10);
	assert_int_equal(burst(&b, &r, 10, 1000, 1000), 10);
}

static void
big_line_passes_alone_then_waits(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 0, 100 };

	/* A line of 1000 bytes against 100 a second: it passes ... */
	assert_true(pass(&b, &r, 1000, 0));
	/* ... and its debt, 900 bytes, takes 9 s to pay back. */
	assert_false(budget_ready(&b, &r, 1));
	assert_false(budget_ready(&b, &r, 9000));
	assert_true(budget_ready(&b, &r, 9001));
}

static void
zero_is_unlimited(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 0, 0 };

	assert_int_equal(burst(&b, &r, 1000000, 0, 100000), 100000);
	r.lines = 5;
	assert_int_equal(burst(&b, &r, 1000000, 0, 100000), 5);
}

static void
lower_rate_clamps_saved_credit(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 1000, 0 };

	assert_true(budget_ready(&b, &r, 0));
	/* A reload lowered the rate: the bucket holds the new second. */
	r.lines = 3;
	assert_int_equal(burst(&b, &r, 1, 0, 1000), 3);
}

static void
clock_behind_is_ignored(void **state)
{
	(void)state;
	struct budget b = { 0 };
	struct budget_rates r = { 10, 0 };

	burst(&b, &r, 1, 1000, 100);
	/* Another thread read the clock before this one refilled. */
	assert_false(budget_ready(&b, &r, 900));
	assert_false(budget_ready(&b, &r, 1000));
	assert_int_equal(burst(&b, &r, 1, 1500, 100), 5);
}

static void
shared_charges_both_or_neither(void **state)
{
	(void)state;
	struct budget_shared s = BUDGET_SHARED_INITIALIZER;
	struct budget_rates r = { 2, 100 };

	assert_true(budget_shared_take(&s, &r, 150, 0));
	/* The bytes are in debt: refused, and no line is charged either. */
	assert_false(budget_shared_take(&s, &r, 0, 0));
	assert_false(budget_shared_take(&s, &r, 0, 0));
	assert_false(budget_shared_take(&s, &r, 0, 0));
	assert_false(budget_shared_take(&s, &r, 0, 500));
	/* The 50 bytes of debt are paid back; the lines bucket is full. */
	assert_true(budget_shared_take(&s, &r, 0, 501));
	assert_true(budget_shared_take(&s, &r, 0, 501));
	assert_false(budget_shared_take(&s, &r, 0, 501));
	pthread_mutex_destroy(&s.lock);
}

#define THREADS 4
#define TRIES 20000

struct racer {
	struct budget_shared *s;
	const struct budget_rates *r;
	int passed;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	int i;

	for (i = 0; i < TRIES; i++)
		x->passed += budget_shared_take(x->s, x->r, 1, 42);
	return NULL;
}

static void
shared_counts_every_thread(void **state)
{
	(void)state;
	struct budget_shared s = BUDGET_SHARED_INITIALIZER;
	struct budget_rates r = { 5000, 0 };
	struct racer x[THREADS];
	pthread_t t[THREADS];
	int i, total = 0;

	/* The clock stands still: exactly one second's worth passes. */
	for (i = 0; i < THREADS; i++) {
		x[i] = (struct racer){ &s, &r, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		total += x[i].passed;
	}
	assert_int_equal(total, 5000);
	pthread_mutex_destroy(&s.lock);
}

static void
held_reported_once_a_second(void **state)
{
	(void)state;
	struct budget_held h = { 0 };

	assert_int_equal(budget_due(&h, 0), 0);
	budget_hold(&h, 100);
	budget_hold(&h, 500);
	assert_int_equal(budget_due(&h, 1099), 0);
	budget_hold(&h, 1099);
	assert_int_equal(budget_due(&h, 1100), 3);
	/* Reported: the next interval starts with the next line held. */
	assert_int_equal(budget_due(&h, 5000), 0);
	budget_hold(&h, 5000);
	assert_int_equal(budget_due(&h, 5999), 0);
	assert_int_equal(budget_rest(&h), 1);
	assert_int_equal(budget_rest(&h), 0);
}

int
run_budget_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_full_with_one_second),
		cmocka_unit_test(refills_at_the_rate),
		cmocka_unit_test(holds_one_second_at_most),
		cmocka_unit_test(bytes_bucket_limits_too),
		cmocka_unit_test(big_line_passes_alone_then_waits),
		cmocka_unit_test(zero_is_unlimited),
		cmocka_unit_test(lower_rate_clamps_saved_credit),
		cmocka_unit_test(clock_behind_is_ignored),
		cmocka_unit_test(shared_charges_both_or_neither),
		cmocka_unit_test(shared_counts_every_thread),
		cmocka_unit_test(held_reported_once_a_second),
	};

	return cmocka_run_group_tests_name("budget", tests, NULL, NULL);
}
