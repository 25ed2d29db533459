/* The monotonic clock, in the milliseconds the daemon's timers use. */
#ifndef ECHOD_CLOCK_H
#define ECHOD_CLOCK_H

#include <time.h>

/* The moment ms milliseconds from now. */
struct timespec clock_after_ms(unsigned long long ms);

/* Milliseconds from now until t; 0 or less once t has passed. */
long long clock_ms_until(const struct timespec *t);

/* Milliseconds since an arbitrary point. */
long long clock_ms(void);

/*
 * Milliseconds since an arbitrary point, from the coarse clock (a few ms
 * of resolution, and cheap enough to read on every recv()).
 */
long long clock_coarse_ms(void);

/* Microseconds since an arbitrary point (as sd_notify's MONOTONIC_USEC). */
unsigned long long clock_usec(void);

/*
 * A wait of ms milliseconds as poll()'s int timeout: negative means no
 * timer (-1), and a wait too long for an int is cut to INT_MAX rather
 * than wrapped to a small or negative value.
 */
int clock_poll_timeout(long long ms);

#endif
