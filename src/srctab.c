/*
 * A small chained hash table of sources, keyed by 16-byte addresses.
 * Slots are chosen by SipHash-2-4 under the table's secret, and chains
 * are capped, so clients cannot make lookups slow whatever addresses
 * they come from.
 */
#include "srctab.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "log.h"

#define INITIAL_SLOTS 64

void
src_key(const unsigned char addr[16], unsigned ipv6_prefix,
    unsigned char key[16])
{
	unsigned i;

	memcpy(key, addr, 16);
	if (cidr_key_is_v4(addr) || src_key_is_uid(addr))
		return;		/* each IPv4 address, each uid: a source */
	for (i = ipv6_prefix; i < 128; i++)
		key[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

/* ff00::/96: a uid in the last 4 bytes, in network order. */
static const unsigned char uid_prefix[12] = { 0xff, 0x00 };

void
src_key_uid(uid_t uid, unsigned char key[16])
{
	uint32_t u = (uint32_t)uid;
	int i;

	memcpy(key, uid_prefix, sizeof(uid_prefix));
	for (i = 15; i >= 12; i--, u >>= 8)
		key[i] = (unsigned char)(u & 0xff);
}

bool
src_key_is_uid(const unsigned char key[16])
{
	return memcmp(key, uid_prefix, sizeof(uid_prefix)) == 0;
}

size_t
srctab_slot(const struct srctab *t, const unsigned char key[16])
{
	return (size_t)siphash24(t->secret, key, 16) & (t->nslots - 1);
}

/*
 * Without getrandom() (an old kernel, a seccomp filter), a secret that
 * differs from run to run and table to table: not unguessable, but an
 * attacker must know the start time to the nanosecond and the layout
 * ASLR chose.  Said once: every table gets the same answer.
 */
static void
weak_secret(struct srctab *t, int err)
{
	static atomic_ulong tables;	/* so far; only the first says so */
	static const unsigned char k0[SIPHASH_KEY_LEN] = "echod srctab k0";
	static const unsigned char k1[SIPHASH_KEY_LEN] = "echod srctab k1";
	struct {
		struct timespec real, mono;
		pid_t pid;
		const void *table, *stack, *code;
		unsigned long count;
	} seed;
	uint64_t h0, h1;

	if (atomic_load(&tables) == 0)
		log_warning("getrandom: %s; the per-source tables' hash keys "
		    "come from clocks and addresses instead", strerror(err));
	memset(&seed, 0, sizeof(seed));
	clock_gettime(CLOCK_REALTIME, &seed.real);
	clock_gettime(CLOCK_MONOTONIC, &seed.mono);
	seed.pid = getpid();
	seed.table = t;
	seed.stack = &seed;
	seed.code = (const void *)(uintptr_t)weak_secret;
	seed.count = atomic_fetch_add(&tables, 1);
	h0 = siphash24(k0, &seed, sizeof(seed));
	h1 = siphash24(k1, &seed, sizeof(seed));
	memcpy(t->secret, &h0, 8);
	memcpy(t->secret + 8, &h1, 8);
}

/* Fills t->secret from the kernel's random pool. */
static void
new_secret(struct srctab *t)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(t->secret)) {
		n = getrandom(t->secret + got, sizeof(t->secret) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			weak_secret(t, errno);
			return;
		}
		got += (size_t)n;
	}
}

int
srctab_init_max(struct srctab *t, size_t max)
{
	t->slots = calloc(INITIAL_SLOTS, sizeof(*t->slots));
	t->nslots = INITIAL_SLOTS;
	t->n = 0;
	t->max = max;
	new_secret(t);
	return t->slots == NULL ? -1 : 0;
}

int
srctab_init(struct srctab *t)
{
	return srctab_init_max(t, 0);
}

void
srctab_free(struct srctab *t)
{
	struct src *e, *next;
	size_t i;

	for (i = 0; i < t->nslots; i++)
		for (e = t->slots[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(t->slots);
	t->slots = NULL;
	t->n = 0;
}

/*
 * Doubles the slots when the table is full; stays as it is on OOM.  A
 * slot's entries go to the same slot or to the one nslots above it, so
 * no chain grows longer than it was.
 */
static void
grow(struct srctab *t)
{
	struct srctab bigger = *t;
	struct src *e, *next;
	size_t i, j;

	bigger.nslots = t->nslots * 2;
	if ((bigger.slots = calloc(bigger.nslots, sizeof(*t->slots))) == NULL)
		return;
	for (i = 0; i < t->nslots; i++)
		for (e = t->slots[i]; e != NULL; e = next) {
			next = e->next;
			j = srctab_slot(&bigger, e->key);
			e->next = bigger.slots[j];
			bigger.slots[j] = e;
		}
	free(t->slots);
	t->slots = bigger.slots;
	t->nslots = bigger.nslots;
}

struct src *
srctab_get(struct srctab *t, const unsigned char key[16], bool create)
{
	struct src *e, **slot = &t->slots[srctab_slot(t, key)];
	size_t len = 0;

	for (e = *slot; e != NULL; e = e->next, len++)
		if (memcmp(e->key, key, 16) == 0)
			return e;
	if (!create)
		return NULL;
	if ((t->max != 0 && t->n >= t->max) || len >= SRCTAB_MAX_CHAIN) {
		errno = ENOSPC;
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->key, key, 16);
	e->next = *slot;
	*slot = e;
	if (++t->n > t->nslots)
		grow(t);
	return e;
}

void
srctab_del(struct srctab *t, struct src *e)
{
	struct src **p = &t->slots[srctab_slot(t, e->key)];

	for (; *p != NULL; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			free(e);
			t->n--;
			return;
		}
}

void
srctab_sweep(struct srctab *t, bool (*idle)(const struct src *, void *),
    void *arg)
{
	struct src **p, *e;
	size_t i;

	for (i = 0; i < t->nslots; i++)
		for (p = &t->slots[i]; (e = *p) != NULL;) {
			if (idle(e, arg)) {
				*p = e->next;
				free(e);
				t->n--;
			} else
				p = &e->next;
		}
}
