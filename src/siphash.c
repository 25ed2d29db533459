/*
 * SipHash-2-4, written from the description in the paper: four 64-bit
 * words of state started from the key, two rounds per 8-byte word of
 * input, four rounds to finish.  Words are read little-endian, whatever
 * the machine, so a hash never depends on where it runs.
 */
#include "siphash.h"

static uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = (w << 8) | p[i];
	return w;
}

/* One SipRound: the ARX network of the paper's figure. */
static void
sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

/* Compression: the word goes into v3, two rounds, then into v0. */
static void
absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

uint64_t
siphash24(const unsigned char key[SIPHASH_KEY_LEN], const void *msg,
    size_t len)
{
	const unsigned char *p = msg;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8), last;
	/* The constants spell "somepseudorandomlygeneratedbytes". */
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ULL,
		k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL,
		k1 ^ 0x7465646279746573ULL,
	};
	size_t i, rest = len % 8;

	for (i = 0; i + 8 <= len; i += 8)
		absorb(v, load_le64(p + i));
	/* The last word: the 0 to 7 bytes left, and len mod 256 on top. */
	last = (uint64_t)(len & 0xff) << 56;
	while (rest > 0) {
		rest--;
		last |= (uint64_t)p[i + rest] << (8 * rest);
	}
	absorb(v, last);
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
