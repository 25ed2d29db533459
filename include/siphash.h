/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012): a keyed hash for hash tables whose keys an attacker
 * chooses.  Without the 128-bit key, which inputs collide cannot be
 * told, so nobody can aim many keys at one chain.
 */
#ifndef ECHOD_SIPHASH_H
#define ECHOD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* The 64-bit SipHash-2-4 of len bytes at msg under key. */
uint64_t siphash24(const unsigned char key[SIPHASH_KEY_LEN],
    const void *msg, size_t len);

#endif
