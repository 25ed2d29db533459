/*
 * Rate budgets for what clients make echod log: token buckets allowing so
 * many lines and bytes a second.  The caller reads the clock and passes
 * the time in (milliseconds, any origin), so that tests need not wait.
 */
#ifndef ECHOD_BUDGET_H
#define ECHOD_BUDGET_H

#include <pthread.h>
#include <stdbool.h>

/* How often, at most, a count of lines held back is reported. */
#define BUDGET_REPORT_MS 1000

/*
 * A token bucket that fills at a rate a second (at most 2^32) and holds
 * one second's worth; it starts full.  While it holds anything a charge
 * is allowed, whatever it costs, and may leave it in debt: a cost larger
 * than the bucket (a long line against a small byte rate) still passes,
 * alone, and is paid back before anything else passes.
 */
struct bucket {
	long long credit;	/* thousandths of a token; below 0: debt */
	long long last_ms;	/* when it was last topped up */
	bool started;
};

/* What may pass a second (0: no limit). */
struct budget_rates {
	unsigned long long lines, bytes;
};

/* Lines and their bytes: a line passes when both buckets allow it. */
struct budget {
	struct bucket lines, bytes;
};

/* Tops b up for the time until now_ms; true when a line may pass. */
bool budget_ready(struct budget *b, const struct budget_rates *r,
    long long now_ms);

/* Charges b for one line of the given bytes. */
void budget_charge(struct budget *b, const struct budget_rates *r,
    unsigned long long bytes);

/*
 * A budget threads share.  Its mutex makes checking and charging both
 * buckets one step, so no line is charged to one and refused by the other.
 */
struct budget_shared {
	pthread_mutex_t lock;
	struct budget b;
};

#define BUDGET_SHARED_INITIALIZER { .lock = PTHREAD_MUTEX_INITIALIZER }

/* Under the lock: budget_ready and, if so, budget_charge. */
bool budget_shared_take(struct budget_shared *s, const struct budget_rates *r,
    unsigned long long bytes, long long now_ms);

/*
 * A count of lines held back, due for a report BUDGET_REPORT_MS after the
 * first of them; for one thread's use.
 */
struct budget_held {
	unsigned long long n;
	long long since_ms;	/* when the first unreported line was held */
};

void budget_hold(struct budget_held *h, long long now_ms);

/* The count to report now and forget, or 0 when no report is due. */
unsigned long long budget_due(struct budget_held *h, long long now_ms);

/* The count not yet reported (at the end), forgotten. */
unsigned long long budget_rest(struct budget_held *h);

#endif
