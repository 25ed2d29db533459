/*
 * Per-source state: how many connections each client address has open,
 * and its token bucket for connection_rate.  A source is an IPv4 address,
 * an IPv6 address cut to ipv6_prefix bits, or the uid of a Unix socket's
 * client.
 *
 * Clients choose their addresses, so the table must not let them choose
 * where their entries go: slots are picked with SipHash-2-4 under a
 * secret each table draws from getrandom() when it is made.  And however
 * the keys fall, no chain holds more than SRCTAB_MAX_CHAIN entries, so a
 * lookup compares at most that many keys.  Not thread-safe: callers lock.
 */
#ifndef ECHOD_SRCTAB_H
#define ECHOD_SRCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "siphash.h"

/*
 * The longest chain.  With a secret key and at most one entry a slot on
 * average, the chance that a given slot ever reaches 16 is about 2 in
 * 10^14: in practice only keys aimed at one slot get there.
 */
#define SRCTAB_MAX_CHAIN 16

struct src {
	unsigned char key[16];
	unsigned long conns;		/* open connections */
	double tokens;			/* connection_rate bucket */
	long long refill_ms;		/* when tokens were last topped up */
	struct src *next;
};

struct srctab {
	struct src **slots;
	size_t nslots;			/* a power of two, >= n unless OOM */
	size_t n;			/* entries */
	size_t max;			/* entries at most; 0: no limit */
	unsigned char secret[SIPHASH_KEY_LEN];	/* the slots' hash key */
};

/*
 * Cuts an address key (cidr_key's form) to a source key; a uid's key
 * (src_key_uid's) stays as it is.
 */
void src_key(const unsigned char addr[16], unsigned ipv6_prefix,
    unsigned char key[16]);

/*
 * The source key of a Unix socket's client with this uid: ff00::UID, in
 * the multicast block, which no IP peer can have as its address (RFC
 * 4291 2.7: no IPv6 packet comes from one, and the kernel drops those
 * that claim to), and scope 0, which is reserved.  IPv4 peers are
 * ::ffff:0:0/96, and cutting an IPv6 key to ipv6_prefix bits only clears
 * bits, so no other source's key can become one of these.
 */
void src_key_uid(uid_t uid, unsigned char key[16]);

/* Whether key is src_key_uid's. */
bool src_key_is_uid(const unsigned char key[16]);

/*
 * Makes an empty table of at most max entries (0: no limit) with a fresh
 * secret from getrandom(), which may wait at boot until the kernel has
 * its random pool.  If the kernel gives none, a warning is logged (once)
 * and the secret is made from clocks, the process id and addresses:
 * guessable in principle, but the chain bound holds all the same.
 * 0, or -1 when out of memory.
 */
int srctab_init_max(struct srctab *t, size_t max);

/* srctab_init_max(t, 0). */
int srctab_init(struct srctab *t);
void srctab_free(struct srctab *t);

/*
 * Finds key's entry.  If there is none and create, adds one (zeroed but
 * for its key) and returns it; NULL with errno ENOSPC when the table has
 * max entries or key's chain has SRCTAB_MAX_CHAIN, ENOMEM without
 * memory.  Without create, NULL when there is none.  The slots double
 * when there are more entries than slots.
 */
struct src *srctab_get(struct srctab *t, const unsigned char key[16],
    bool create);

/* Removes and frees e. */
void srctab_del(struct srctab *t, struct src *e);

/* Removes every entry for which idle(e, arg) is true. */
void srctab_sweep(struct srctab *t, bool (*idle)(const struct src *,
    void *), void *arg);

/* The slot key falls in, of the table's nslots. */
size_t srctab_slot(const struct srctab *t, const unsigned char key[16]);

#endif
