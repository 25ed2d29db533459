/*
 * Per-source state: how many connections each client address has open,
 * and its token bucket for connection_rate.  A source is an IPv4 address,
 * or an IPv6 address cut to ipv6_prefix bits.
 */
#ifndef ECHOD_SRCTAB_H
#define ECHOD_SRCTAB_H

#include <stdbool.h>
#include <stddef.h>

struct src {
	unsigned char key[16];
	unsigned long conns;		/* open connections */
	double tokens;			/* connection_rate bucket */
	long long refill_ms;		/* when tokens were last topped up */
	struct src *next;
};

struct srctab {
	struct src **slots;
	size_t nslots;			/* a power of two */
	size_t n;
};

/* Cuts an address key (cidr_key's form) to a source key. */
void src_key(const unsigned char addr[16], unsigned ipv6_prefix,
    unsigned char key[16]);

int srctab_init(struct srctab *t);
void srctab_free(struct srctab *t);

/* Finds key's entry, creating it (zeroed) when create; NULL if none/OOM. */
struct src *srctab_get(struct srctab *t, const unsigned char key[16],
    bool create);

/* Removes and frees e. */
void srctab_del(struct srctab *t, struct src *e);

/* Removes every entry for which idle(e, arg) is true. */
void srctab_sweep(struct srctab *t, bool (*idle)(const struct src *,
    void *), void *arg);

#endif
