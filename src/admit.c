/*
 * Admission control.  Everything here runs on the main thread before a
 * worker exists, so a refused client costs no thread and no stack: its
 * socket is reset and closed at once.
 */
#include "admit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "config.h"
#include "conn.h"

/* Buckets kept at most; past that, new sources go unmetered. */
#define MAX_BUCKETS 100000
#define SWEEP_EVERY_MS 1000

int
admit_init(struct admit *a)
{
	a->swept_ms = 0;
	return srctab_init(&a->rates);
}

void
admit_free(struct admit *a)
{
	srctab_free(&a->rates);
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct refill_ctx {
	long long now;
	unsigned rate;
};

/* Tops the bucket up for the time since the last visit. */
static void
refill(struct src *e, unsigned rate, long long now)
{
	e->tokens += (double)(now - e->refill_ms) * rate / 1000.0;
	if (e->tokens > rate)
		e->tokens = rate;
	e->refill_ms = now;
}

/* A full bucket says nothing a fresh one would not: forget it. */
static bool
bucket_full(const struct src *e, void *arg)
{
	const struct refill_ctx *ctx = arg;

	return e->tokens + (double)(ctx->now - e->refill_ms) * ctx->rate /
	    1000.0 >= ctx->rate;
}

/* A token bucket per source: rate a second, and as many at once. */
static bool
rate_ok(struct admit *a, unsigned rate, const unsigned char src[16])
{
	struct refill_ctx ctx = { now_ms(), rate };
	struct src *e;

	if (a->rates.n > 1024 && ctx.now - a->swept_ms >= SWEEP_EVERY_MS) {
		srctab_sweep(&a->rates, bucket_full, &ctx);
		a->swept_ms = ctx.now;
	}
	e = srctab_get(&a->rates, src, a->rates.n < MAX_BUCKETS);
	if (e == NULL)
		return true;
	if (e->refill_ms == 0) {	/* new: a full bucket */
		e->tokens = rate;
		e->refill_ms = ctx.now;
	}
	refill(e, rate, ctx.now);
	if (e->tokens < 1.0)
		return false;
	e->tokens -= 1.0;
	return true;
}

enum admit_verdict
admit_check(struct admit *a, struct conn_set *set, const struct config *cfg,
    const struct sockaddr *peer, unsigned char src[16])
{
	unsigned char addr[16];

	if (!cidr_key(peer, addr))
		memset(addr, 0, sizeof(addr));
	if (!acl_allows(cfg->access.allow, cfg->access.n_allow,
	    cfg->access.deny, cfg->access.n_deny, addr))
		return ADMIT_DENIED;
	src_key(addr, cfg->ipv6_prefix, src);
	if (cfg->connection_rate > 0 && !rate_ok(a, cfg->connection_rate, src))
		return ADMIT_RATE;
	if (!conn_set_reserve(set, src, cfg->max_connections_per_ip))
		return ADMIT_PER_IP;
	return ADMIT_OK;
}

void
admit_reason(enum admit_verdict v, const struct config *cfg, char *buf,
    size_t len)
{
	switch (v) {
	case ADMIT_DENIED:
		snprintf(buf, len, "denied by [access]");
		break;
	case ADMIT_RATE:
		snprintf(buf, len, "over connection_rate (%u/s)",
		    cfg->connection_rate);
		break;
	case ADMIT_PER_IP:
		snprintf(buf, len, "over max_connections_per_ip (%u)",
		    cfg->max_connections_per_ip);
		break;
	case ADMIT_OK:
		snprintf(buf, len, "admitted");
		break;
	}
}
