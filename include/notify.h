/* A small sd_notify(3) client: readiness, status and watchdog for systemd. */
#ifndef ECHOD_NOTIFY_H
#define ECHOD_NOTIFY_H

#include <stdbool.h>
#include <time.h>

/*
 * Room for a STATUS= text, its NUL included: the longest is 90 bytes,
 * "N connections, N served, N datagrams" with every number 20 digits.
 */
#define NOTIFY_STATUS_LEN 96

struct notify {
	int fd;				/* -1 when not under a service manager */
	char path[108];			/* the socket, '@' for abstract */
	unsigned long long watchdog_ms;	/* ping interval, or 0 */
	bool connected;			/* connect()ed while still root */
	bool warned;			/* a failure was logged already */
	struct timespec watchdog_due;	/* the next WATCHDOG=1 */
	bool status_pending;		/* a newer one waits for status_due */
	struct timespec status_due;	/* STATUS= at most once a second */
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

/*
 * READY=1, with MAINPID and STATUS= for no connection yet, whose text is
 * written to status: the caller keeps the STATUS= last sent (it repeats
 * it with READY=1 after a reload), and notify_tick() updates it.  The
 * first watchdog ping is due at once.
 */
void notify_ready(struct notify *n, char status[NOTIFY_STATUS_LEN]);

/*
 * The service manager's timers, on each turn of the main loop: pings the
 * watchdog when due, and brings STATUS= ("12 connections, 3400 served",
 * and ", 5 datagrams" echoed unless datagrams is -1: no UDP socket) up to
 * the counts when they changed, at most once a second; status is the
 * text last sent, as for notify_ready().  Returns ms until it is due
 * again (a second at most while datagrams are counted, as nothing wakes
 * the main loop for them), or -1 when never.
 */
long long notify_tick(struct notify *n, char status[NOTIFY_STATUS_LEN],
    unsigned long active, unsigned long served, long long datagrams);

void notify_close(struct notify *n);

#endif
