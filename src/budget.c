/*
 * Token buckets in integer thousandths of a token: a rate of r a second
 * adds r thousandths each millisecond, so nothing is lost to rounding
 * however often the bucket is asked.
 */
#include "budget.h"


/* Longer than any refill needs: keeps rate times time in range. */
#define MAX_GAP_MS (3600LL * 1000)

static void
refill(struct bucket *b, unsigned long long rate, long long now_ms)
{
	long long full = (long long)rate * 1000, gap;

	if (!b->started) {
		b->started = true;
		b->credit = full;
		b->last_ms = now_ms;
		return;
	}
	gap = now_ms - b->last_ms;
	/* A thread that read the clock before another took the lock. */
	if (gap > 0) {
		b->credit += (long long)rate * (gap < MAX_GAP_MS ? gap :
		    MAX_GAP_MS);
		b->last_ms = now_ms;
	}
	/* Also after a reload that lowered the rate. */
	if (b->credit > full)
		b->credit = full;
}

static bool
bucket_ready(struct bucket *b, unsigned long long rate, long long now_ms)
{
	if (rate == 0)
		return true;
	refill(b, rate, now_ms);
	return b->credit > 0;
}

static void
bucket_charge(struct bucket *b, unsigned long long rate,
    unsigned long long cost)
{
	if (rate != 0)
		b->credit -= (long long)cost * 1000;
}

bool
budget_ready(struct budget *b, const struct budget_rates *r, long long now_ms)
{
	/* Both are topped up, so that neither forgets the time. */
	bool lines = bucket_ready(&b->lines, r->lines, now_ms);
	bool bytes = bucket_ready(&b->bytes, r->bytes, now_ms);

	return lines && bytes;
}

void
budget_charge(struct budget *b, const struct budget_rates *r,
    unsigned long long bytes)
{
	bucket_charge(&b->lines, r->lines, 1);
	bucket_charge(&b->bytes, r->bytes, bytes);
}

bool
budget_shared_take(struct budget_shared *s, const struct budget_rates *r,
    unsigned long long bytes, long long now_ms)
{
	bool ok;

	if (r->lines == 0 && r->bytes == 0)
		return true;	/* no limit: no need to wait for the lock */
	pthread_mutex_lock(&s->lock);
	ok = budget_ready(&s->b, r, now_ms);
	if (ok)
		budget_charge(&s->b, r, bytes);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void
budget_hold(struct budget_held *h, long long now_ms)
{
	if (h->n++ == 0)
		h->since_ms = now_ms;
}

unsigned long long
budget_due(struct budget_held *h, long long now_ms)
{
	if (h->n == 0 || now_ms - h->since_ms < BUDGET_REPORT_MS)
		return 0;
	return budget_rest(h);
}

unsigned long long
budget_rest(struct budget_held *h)
{
	unsigned long long n = h->n;

	h->n = 0;
	return n;
}
