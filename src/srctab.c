/* A small chained hash table of sources, keyed by 16-byte addresses. */
#include "srctab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

#define INITIAL_SLOTS 64

void
src_key(const unsigned char addr[16], unsigned ipv6_prefix,
    unsigned char key[16])
{
	unsigned i;

	memcpy(key, addr, 16);
	if (cidr_key_is_v4(addr))
		return;		/* IPv4: every address is its own source */
	for (i = ipv6_prefix; i < 128; i++)
		key[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

/* FNV-1a: simple, and good enough for addresses we cut ourselves. */
static size_t
hash(const unsigned char key[16])
{
	uint64_t h = 14695981039346656037ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

int
srctab_init(struct srctab *t)
{
	t->slots = calloc(INITIAL_SLOTS, sizeof(*t->slots));
	t->nslots = INITIAL_SLOTS;
	t->n = 0;
	return t->slots == NULL ? -1 : 0;
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

/* Doubles the slots when the table is full; stays as it is on OOM. */
static void
grow(struct srctab *t)
{
	size_t i, n = t->nslots * 2;
	struct src **slots, *e, *next;

	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return;
	for (i = 0; i < t->nslots; i++)
		for (e = t->slots[i]; e != NULL; e = next) {
			next = e->next;
			e->next = slots[hash(e->key) & (n - 1)];
			slots[hash(e->key) & (n - 1)] = e;
		}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

struct src *
srctab_get(struct srctab *t, const unsigned char key[16], bool create)
{
	struct src *e, **slot = &t->slots[hash(key) & (t->nslots - 1)];

	for (e = *slot; e != NULL; e = e->next)
		if (memcmp(e->key, key, 16) == 0)
			return e;
	if (!create || (e = calloc(1, sizeof(*e))) == NULL)
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
	struct src **p = &t->slots[hash(e->key) & (t->nslots - 1)];

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
