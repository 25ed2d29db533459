/* A small sd_notify(3) client: readiness, status and watchdog for systemd. */
#ifndef ECHOD_NOTIFY_H
#define ECHOD_NOTIFY_H

#include <stdbool.h>

struct notify {
	int fd;				/* -1 when not under a service manager */
	char path[108];			/* the socket, '@' for abstract */
	unsigned long long watchdog_ms;	/* ping interval, or 0 */
	bool connected;			/* connect()ed while still root */
	bool warned;			/* a failure was logged already */
};

/*
 * Reads NOTIFY_SOCKET (a path, or "@name" in the abstract namespace) and
 * WATCHDOG_USEC/WATCHDOG_PID, and connects to the socket: connected
 * before privileges are dropped, it stays usable after.  Without
 * NOTIFY_SOCKET every call is a no-op.  Returns -1 (reason logged) only
 * when the variable is malformed.
 */
int notify_init(struct notify *n);

/* Sends one datagram of "KEY=value" lines; failures are logged once. */
void notify_send(struct notify *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

bool notify_enabled(const struct notify *n);

void notify_close(struct notify *n);

#endif
