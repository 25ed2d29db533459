/*
 * Admission control.  admit_check() runs on the main thread before a
 * worker exists, so a refused client costs no thread and no stack: its
 * socket is reset and closed at once.  An admitted one is counted for its
 * source until its worker, ending, gives the count back, under open_lock.
 * Behind a proxy, the worker admits the client its PROXY header names by
 * the same rules; the connection_rate buckets and the log limits are
 * under lock for that.  Neither lock is held for long or while the other
 * is taken.  A UDP socket's thread decides on its datagrams here too,
 * with rules and a table of buckets of its own (admit_datagram()).
 */
#include "admit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "stats.h"

#define SWEEP_EVERY_MS 1000
#define SHARED_LOG_EVERY_MS 1000
#define REFUSED_LOG_EVERY_MS 1000

int
admit_rates_init(struct admit_rates *r, const char *key, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->key = key;
	if (srctab_init_max(&r->table, max) != 0) {
		log_error("out of memory for the %s table", key);
		return -1;
	}
	return 0;
}

void
admit_rates_free(struct admit_rates *r)
{
	srctab_free(&r->table);
}

int
admit_init_max(struct admit *a, size_t max)
{
	int err;

	memset(a, 0, sizeof(*a));
	if ((err = pthread_mutex_init(&a->lock, NULL)) != 0) {
		log_error("cannot set up admission: %s", strerror(err));
		return -1;
	}
	if (admit_rates_init(&a->rates, "connection_rate", max) != 0)
		goto fail_lock;
	if (srctab_init(&a->open) != 0) {
		log_error("out of memory for the open connections per source");
		goto fail_rates;
	}
	if ((err = pthread_mutex_init(&a->open_lock, NULL)) != 0) {
		log_error("cannot count open connections per source: %s",
		    strerror(err));
		goto fail_open;
	}
	return 0;
fail_open:
	srctab_free(&a->open);
fail_rates:
	admit_rates_free(&a->rates);
fail_lock:
	pthread_mutex_destroy(&a->lock);
	return -1;
}

int
admit_init(struct admit *a)
{
	return admit_init_max(a, ADMIT_MAX_SOURCES);
}

void
admit_free(struct admit *a)
{
	pthread_mutex_destroy(&a->open_lock);
	srctab_free(&a->open);
	admit_rates_free(&a->rates);
	pthread_mutex_destroy(&a->lock);
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
bucket(struct admit_rates *r, const unsigned char src[16])
{
	struct src *e = srctab_get(&r->table, src, true);
	unsigned long held;
	char why[64];
	int err = errno;

	if (e != NULL)
		return e;
	if (log_limit_ok(&r->shared_log, SHARED_LOG_EVERY_MS, &held)) {
		if (r->table.max != 0 && r->table.n >= r->table.max)
			snprintf(why, sizeof(why), "%zu sources have one",
			    r->table.n);
		else if (err == ENOSPC)
			snprintf(why, sizeof(why), "its hash chain is full");
		else
			snprintf(why, sizeof(why), "%s", strerror(err));
		log_warning("%s: no bucket of its own for a new source (%s); "
		    "it shares one with every such source (%lu more since the "
		    "last such line)", r->key, why, held);
	}
	return &r->shared;
}

/*
 * A token bucket per source: rate a second, and as many at once.
 * ADMIT_OK when src may connect now.
 */
static enum admit_verdict
rate_check(struct admit_rates *r, unsigned rate, const unsigned char src[16])
{
	struct refill_ctx ctx = { clock_ms(), rate };
	struct src *e;

	if (r->table.n > 1024 && ctx.now - r->swept_ms >= SWEEP_EVERY_MS) {
		srctab_sweep(&r->table, bucket_full, &ctx);
		r->swept_ms = ctx.now;
	}
	e = bucket(r, src);
	if (e->refill_ms == 0) {	/* new: a full bucket */
		e->tokens = rate;
		e->refill_ms = ctx.now;
	}
	refill(e, rate, ctx.now);
	if (e->tokens < 1.0)
		return e == &r->shared ? ADMIT_RATE_SHARED : ADMIT_RATE;
	e->tokens -= 1.0;
	return ADMIT_OK;
}

/* rate_check() of the connection_rate buckets, which workers use too. */
static enum admit_verdict
rate_locked(struct admit *a, unsigned rate, const unsigned char src[16])
{
	enum admit_verdict v;

	pthread_mutex_lock(&a->lock);
	v = rate_check(&a->rates, rate, src);
	pthread_mutex_unlock(&a->lock);
	return v;
}

/*
 * A worker ends (from its thread), or a connection is never served: its
 * source has one open connection less.
 */
static void
release_count(void *ctx, void *arg)
{
	struct admit *a = ctx;
	struct src *e = arg;

	pthread_mutex_lock(&a->open_lock);
	if (--e->conns == 0)
		srctab_del(&a->open, e);
	pthread_mutex_unlock(&a->open_lock);
}

/*
 * Counts one more open connection from src, unless it has max already
 * (max 0: no limit); false when it may not have another.  A source the
 * table cannot count (no memory or room) may not either: let in
 * uncounted, its end would uncount another connection.  Its entry stays
 * put until its count is back to 0, so the ticket can point at it.
 */
static bool
reserve(struct admit *a, const unsigned char src[16], unsigned max,
    struct conn_release *ticket)
{
	struct src *e;
	bool ok;

	pthread_mutex_lock(&a->open_lock);
	e = srctab_get(&a->open, src, true);
	ok = e != NULL && (max == 0 || e->conns < max);
	if (ok)
		e->conns++;
	pthread_mutex_unlock(&a->open_lock);
	if (ok)
		*ticket = (struct conn_release){ release_count, a, e };
	return ok;
}

/*
 * peer's source key, or false when [access] denies it.  A Unix socket's
 * client is its uid: [access] is about IP addresses, and who may connect
 * to a Unix socket is the file's mode and group.
 */
static bool
source_of(const struct config *cfg, const struct peer *peer,
    unsigned char src[16])
{
	unsigned char addr[16];

	if (peer->sa.ss_family == AF_UNIX) {
		src_key_uid(peer->cred.uid, src);
		return true;
	}
	if (!cidr_key((const struct sockaddr *)&peer->sa, addr))
		memset(addr, 0, sizeof(addr));
	if (!acl_allows(cfg->access.allow, cfg->access.n_allow,
	    cfg->access.deny, cfg->access.n_deny, addr))
		return false;
	src_key(addr, cfg->ipv6_prefix, src);
	return true;
}

/* The checks of one source: [access], connection_rate, per-source count. */
static enum admit_verdict
admit_source(struct admit *a, const struct config *cfg,
    const struct peer *peer, struct conn_release *ticket)
{
	enum admit_verdict v;
	unsigned char src[16];

	if (!source_of(cfg, peer, src))
		return ADMIT_DENIED;
	if (cfg->connection_rate > 0 &&
	    (v = rate_locked(a, cfg->connection_rate, src)) != ADMIT_OK)
		return v;
	if (!reserve(a, src, cfg->max_connections_per_ip, ticket))
		return ADMIT_PER_IP;
	return ADMIT_OK;
}

/* A peer that may send a PROXY header: in proxy_from, or a Unix peer. */
static bool
proxy_trusted(const struct config *cfg, const struct peer *peer)
{
	unsigned char addr[16];
	size_t i;

	if (peer->sa.ss_family == AF_UNIX)
		return true;
	if (!cidr_key((const struct sockaddr *)&peer->sa, addr))
		return false;
	for (i = 0; i < cfg->proxy.n_from; i++)
		if (cidr_match(&cfg->proxy.from[i], addr))
			return true;
	return false;
}

/*
 * A proxy's own connections are not counted against it: they are its
 * clients', which are counted once the worker knows them.  Otherwise
 * the proxy's 65th client would be refused under the default limit.
 */
enum admit_verdict
admit_check(struct admit *a, const struct config *cfg,
    const struct peer *peer, struct conn_release *ticket)
{
	if (cfg->proxy.versions != 0)
		return proxy_trusted(cfg, peer) ? ADMIT_PROXY :
		    ADMIT_NOT_PROXY;
	return admit_source(a, cfg, peer, ticket);
}

enum admit_verdict
admit_relayed(struct admit *a, const struct config *cfg,
    const struct peer *client, struct conn_release *ticket)
{
	return admit_source(a, cfg, client, ticket);
}

/* A copy of n rules, or NULL; none is no allocation. */
static struct cidr *
copy_rules(const struct cidr *v, size_t n, bool *failed)
{
	struct cidr *copy;

	if (n == 0)
		return NULL;
	if ((copy = malloc(n * sizeof(*copy))) == NULL)
		*failed = true;
	else
		memcpy(copy, v, n * sizeof(*copy));
	return copy;
}

struct admit_rules *
admit_rules_new(const struct config *cfg)
{
	struct admit_rules *r = calloc(1, sizeof(*r));
	bool failed = r == NULL;

	if (r != NULL) {
		r->allow = copy_rules(cfg->access.allow, cfg->access.n_allow,
		    &failed);
		r->deny = copy_rules(cfg->access.deny, cfg->access.n_deny,
		    &failed);
		r->n_allow = cfg->access.n_allow;
		r->n_deny = cfg->access.n_deny;
		r->ipv6_prefix = cfg->ipv6_prefix;
		r->rate = cfg->udp_rate;
	}
	if (failed) {
		log_error("out of memory for the rules of a UDP socket");
		admit_rules_free(r);
		return NULL;
	}
	return r;
}

void
admit_rules_free(struct admit_rules *r)
{
	if (r == NULL)
		return;
	free(r->allow);
	free(r->deny);
	free(r);
}

/*
 * No datagram costs a thread or a socket, so what admit_check() guards
 * against does not arise; what remains is not being made to send to
 * whom [access] excludes, or faster than udp_rate to anyone: a forged
 * source gets at most that many replies a second.
 */
enum admit_verdict
admit_datagram(struct admit_rates *rates, const struct admit_rules *rules,
    const struct sockaddr *peer)
{
	unsigned char addr[16], src[16];

	if (!cidr_key(peer, addr))
		memset(addr, 0, sizeof(addr));
	if (!acl_allows(rules->allow, rules->n_allow, rules->deny,
	    rules->n_deny, addr))
		return ADMIT_DENIED;
	if (rules->rate == 0)
		return ADMIT_OK;
	src_key(addr, rules->ipv6_prefix, src);
	return rate_check(rates, rules->rate, src);
}

/*
 * The reset that refusing is: fd's close will send RST, so that no
 * TIME_WAIT is left behind however many are refused.  Counted; true
 * when limit lets a line be logged now, with *held the lines held back.
 */
static bool
refuse(struct admit *a, int fd, struct log_limit *limit, unsigned long *held)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	bool ok;

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	atomic_fetch_add(&stats.refused, 1);
	pthread_mutex_lock(&a->lock);
	ok = log_limit_ok(limit, REFUSED_LOG_EVERY_MS, held);
	pthread_mutex_unlock(&a->lock);
	return ok;
}

void
admit_refuse(struct admit *a, const struct config *cfg, int fd,
    const struct peer *peer, enum admit_verdict v)
{
	char who[ADDR_STRLEN], why[64];
	unsigned long held;
	bool say = refuse(a, fd, &a->refusals, &held);

	close(fd);
	if (!say)
		return;
	peer_format(peer, who, sizeof(who));
	admit_reason(v, cfg, why, sizeof(why));
	log_warning("refused %s: %s (%lu more refused since the last such "
	    "line)", who, why, held);
}

void
admit_refuse_relayed(struct admit *a, const struct config *cfg, int fd,
    const char *client, const char *via, enum admit_verdict v)
{
	unsigned long held;
	char why[64];

	if (!refuse(a, fd, &a->refusals, &held))
		return;
	admit_reason(v, cfg, why, sizeof(why));
	log_warning("refused %s: %s, via proxy %s (%lu more refused since "
	    "the last such line)", client, why, via, held);
}

void
admit_refuse_header(struct admit *a, int fd, const char *via,
    const char *why)
{
	unsigned long held;

	if (refuse(a, fd, &a->headers, &held))
		log_warning("%s: closed for its PROXY header: %s (%lu more "
		    "since the last such line)", via, why, held);
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
	case ADMIT_PROXY:
		snprintf(buf, len, "a trusted proxy");
		break;
	case ADMIT_NOT_PROXY:
		snprintf(buf, len, "not a trusted proxy (proxy_from)");
		break;
	case ADMIT_OK:
		snprintf(buf, len, "admitted");
		break;
	}
}
