/*
 * The sd_notify protocol without libsystemd: one datagram per message, of
 * newline-separated KEY=value assignments, to the AF_UNIX socket named in
 * $NOTIFY_SOCKET.  A name starting with '@' is in the abstract namespace.
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "units.h"

#define STATUS_EVERY_MS 1000	/* the fastest STATUS= updates go */

static void
read_watchdog(struct notify *n)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v, p;
	char why[128];

	n->watchdog_ms = 0;
	if (usec == NULL)
		return;
	/* WATCHDOG_PID, when set, says whom the watchdog is meant for. */
	if (pid != NULL && (parse_uint(pid, 1, ~0ULL, &p, why,
	    sizeof(why)) != 0 || p != (unsigned long long)getpid()))
		return;
	if (parse_uint(usec, 1, ~0ULL, &v, why, sizeof(why)) != 0) {
		log_warning("WATCHDOG_USEC: %s; not pinging the watchdog", why);
		return;
	}
	/* Half the interval, as sd_watchdog_enabled(3) recommends. */
	n->watchdog_ms = v / 2000 > 0 ? v / 2000 : 1;
}

/* The socket address for n->path; returns its length. */
static socklen_t
notify_addr(const struct notify *n, struct sockaddr_un *sun)
{
	size_t plen = strlen(n->path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, n->path, plen);
	if (n->path[0] == '@') {
		sun->sun_path[0] = '\0';	/* abstract: no trailing NUL */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    plen);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
}

int
notify_init(struct notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	read_watchdog(n);
	if (path == NULL || *path == '\0')
		return 0;
	if ((path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(n->path)) {
		log_error("NOTIFY_SOCKET: '%s' is not an absolute path or an "
		    "@abstract name", path);
		return -1;
	}
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		log_error("NOTIFY_SOCKET: socket: %s", strerror(errno));
		return -1;
	}
	len = notify_addr(n, &sun);
	n->connected = connect(n->fd, (struct sockaddr *)&sun, len) == 0;
	return 0;
}

bool
notify_enabled(const struct notify *n)
{
	return n->fd >= 0;
}

void
notify_send(struct notify *n, const char *fmt, ...)
{
	struct sockaddr_un sun;
	char msg[512];
	socklen_t len;
	va_list ap;

	if (n->fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	/* A final newline is allowed, and keeps captured messages apart. */
	strcat(msg, "\n");
	if (n->connected && send(n->fd, msg, strlen(msg), MSG_NOSIGNAL) >= 0)
		return;
	/* Not connected, or the manager's socket was made anew. */
	len = notify_addr(n, &sun);
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) >= 0)
		return;
	if (!n->warned)
		log_warning("NOTIFY_SOCKET %s: %s (said once)", n->path,
		    strerror(errno));
	n->warned = true;
}

static void
format_status(char status[NOTIFY_STATUS_LEN], unsigned long active,
    unsigned long served, long long datagrams)
{
	int n = snprintf(status, NOTIFY_STATUS_LEN, "%lu connection%s, %lu "
	    "served", active, active == 1 ? "" : "s", served);

	if (datagrams >= 0 && n > 0 && n < NOTIFY_STATUS_LEN)
		snprintf(status + n, NOTIFY_STATUS_LEN - (size_t)n,
		    ", %lld datagram%s", datagrams, datagrams == 1 ? "" : "s");
}

void
notify_ready(struct notify *n, char status[NOTIFY_STATUS_LEN])
{
	format_status(status, 0, 0, -1);
	notify_send(n, "READY=1\nSTATUS=%s\nMAINPID=%ld", status,
	    (long)getpid());
	n->watchdog_due = clock_after_ms(0);
}

/* Keeps STATUS= current, but sends it at most once a second. */
static void
update_status(struct notify *n, char status[NOTIFY_STATUS_LEN],
    unsigned long active, unsigned long served, long long datagrams)
{
	char now[NOTIFY_STATUS_LEN];

	if (!notify_enabled(n))
		return;
	format_status(now, active, served, datagrams);
	n->status_pending = strcmp(now, status) != 0;
	if (!n->status_pending || clock_ms_until(&n->status_due) > 0)
		return;
	notify_send(n, "STATUS=%s", now);
	memcpy(status, now, sizeof(now));
	n->status_pending = false;
	n->status_due = clock_after_ms(STATUS_EVERY_MS);
}

long long
notify_tick(struct notify *n, char status[NOTIFY_STATUS_LEN],
    unsigned long active, unsigned long served, long long datagrams)
{
	long long next = -1, w;

	if (n->watchdog_ms > 0) {
		if (clock_ms_until(&n->watchdog_due) <= 0) {
			notify_send(n, "WATCHDOG=1");
			n->watchdog_due = clock_after_ms(n->watchdog_ms);
		}
		next = clock_ms_until(&n->watchdog_due);
	}
	update_status(n, status, active, served, datagrams);
	if (n->status_pending) {
		w = clock_ms_until(&n->status_due);
		if (next < 0 || w < next)
			next = w;
	}
	/* Datagrams are counted without waking this loop: look each second. */
	if (datagrams >= 0 && notify_enabled(n) &&
	    (next < 0 || next > STATUS_EVERY_MS))
		next = STATUS_EVERY_MS;
	return next < 0 ? -1 : next + (next == 0);
}

void
notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
