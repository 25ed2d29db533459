/*
 * Admission control.  Everything here runs on the main thread before a
 * worker exists, so a refused client costs no thread and no stack: its
 * socket is reset and closed at once.
 */
#include "admit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "config.h"
#include "conn.h"

#define SWEEP_EVERY_MS 1000
#define SHARED_LOG_EVERY_MS 1000

int
admit_init_max(struct admit *a, size_t max)
{
	memset(&a->shared, 0, sizeof(a->shared));
	memset(&a->shared_log, 0, sizeof(a->shared_log));
	a->swept_ms = 0;
	return srctab_init_max(&a->rates, max);
}

int
admit_init(struct admit *a)
{
	return admit_init_max(a, ADMIT_MAX_SOURCES);
}

void
admit_free(struct admit *a)
{
	srctab_free(&a->rates);
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

/* src's own bucket, or the shared one when there is no room for it. */
static struct src *
bucket(struct admit *a, const unsigned char src[16])
{
	struct src *e = srctab_get(&a->rates, src, true);
	unsigned long held;
	char why[64];
	int err = errno;

	if (e != NULL)
		return e;
	if (log_limit_ok(&a->shared_log, SHARED_LOG_EVERY_MS, &held)) {
		if (a->rates.max != 0 && a->rates.n >= a->rates.max)
			snprintf(why, sizeof(why), "%zu sources have one",
			    a->rates.n);
		else if (err == ENOSPC)
			snprintf(why, sizeof(why), "its hash chain is full");
		else
			snprintf(why, sizeof(why), "%s", strerror(err));
		log_warning("connection_rate: no bucket of its own for a new "
		    "source (%s); it shares one with every such source "
		    "(%lu more since the last such line)", why, held);
	}
	return &a->shared;
}

/*
 * A token bucket per source: rate a second, and as many at once.
 * ADMIT_OK when src may connect now.
 */
static enum admit_verdict
rate_check(struct admit *a, unsigned rate, const unsigned char src[16])
{
	struct refill_ctx ctx = { clock_ms(), rate };
	struct src *e;

	if (a->rates.n > 1024 && ctx.now - a->swept_ms >= SWEEP_EVERY_MS) {
		srctab_sweep(&a->rates, bucket_full, &ctx);
		a->swept_ms = ctx.now;
	}
	e = bucket(a, src);
	if (e->refill_ms == 0) {	/* new: a full bucket */
		e->tokens = rate;
		e->refill_ms = ctx.now;
	}
	refill(e, rate, ctx.now);
	if (e->tokens < 1.0)
		return e == &a->shared ? ADMIT_RATE_SHARED : ADMIT_RATE;
	e->tokens -= 1.0;
	return ADMIT_OK;
}

enum admit_verdict
admit_check(struct admit *a, struct conn_set *set, const struct config *cfg,
    const struct sockaddr *peer, unsigned char src[16])
{
	enum admit_verdict v;
	unsigned char addr[16];

	if (!cidr_key(peer, addr))
		memset(addr, 0, sizeof(addr));
	if (!acl_allows(cfg->access.allow, cfg->access.n_allow,
	    cfg->access.deny, cfg->access.n_deny, addr))
		return ADMIT_DENIED;
	src_key(addr, cfg->ipv6_prefix, src);
	if (cfg->connection_rate > 0 &&
	    (v = rate_check(a, cfg->connection_rate, src)) != ADMIT_OK)
		return v;
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
	case ADMIT_RATE_SHARED:
		snprintf(buf, len, "over connection_rate (%u/s, in the "
		    "shared bucket)", cfg->connection_rate);
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
