/*
 * Behind a proxy.  The header is read with MSG_PEEK: bytes that are all
 * the start of a header (the parser asks for more) are taken, and once
 * the header is whole exactly its remaining bytes are, so the client's
 * first bytes, which often come in the same segment, stay queued in the
 * socket and the protocol reads them as if no header had been there.
 * Peeking never reads past the header, and the parser is pure, so this
 * works on any stream socket: TCP or Unix.
 */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "admit.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "stats.h"

/* Takes n bytes already peeked at from fd into buf; -1 on a failure. */
static int
take(int fd, unsigned char *buf, size_t n, char *why, size_t whylen)
{
	ssize_t got;

	while (n > 0) {
		got = recv(fd, buf, n, MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(why, whylen, "recv: %s", got < 0 ?
			    strerror(errno) : "end of input after a peek");
			return -1;
		}
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

/* For a header cut short: why, with the bytes that came; -1. */
static int
cut_short(char *why, size_t whylen, size_t have, const char *none,
    const char *some)
{
	if (have == 0)
		snprintf(why, whylen, "%s", none);
	else
		snprintf(why, whylen, "%s (%zu bytes)", some, have);
	return -1;
}

/* Waits until fd is readable or end passes; 0, or -1 with why. */
static int
wait_readable(int fd, const struct timespec *end, size_t have, char *why,
    size_t whylen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long left;
	int r;

	for (;;) {
		if ((left = clock_ms_until(end)) <= 0)
			return cut_short(why, whylen, have,
			    "none within proxy_timeout",
			    "incomplete at proxy_timeout");
		r = poll(&pfd, 1, clock_poll_timeout(left));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

int
relay_read_header(int fd, unsigned versions, long long timeout_ms,
    struct proxy_hdr *out, char *why, size_t whylen)
{
	struct timespec end = clock_after_ms(timeout_ms > 0 ?
	    (unsigned long long)timeout_ms : 0);
	unsigned char buf[PROXY_MAX];
	const char *reason;
	size_t have = 0;	/* header bytes taken so far, in buf */
	ssize_t n;

	for (;;) {
		if (wait_readable(fd, &end, have, why, whylen) != 0)
			return -1;
		n = recv(fd, buf + have, sizeof(buf) - have,
		    MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			continue;
		if (n < 0) {
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return cut_short(why, whylen, have,
			    "the connection ended before one",
			    "the connection ended inside it");
		switch (proxy_parse(buf, have + (size_t)n, versions, out,
		    &reason)) {
		case PROXY_BAD:
			snprintf(why, whylen, "%s", reason);
			return -1;
		case PROXY_MORE:
			/* All of them are header: PROXY_MAX is never full. */
			if (take(fd, buf + have, (size_t)n, why, whylen) != 0)
				return -1;
			have += (size_t)n;
			break;
		case PROXY_OK:
			return take(fd, buf + have, out->len - have, why,
			    whylen);
		}
	}
}

/* For the log: why a header names no client. */
static const char *
own_kind(const struct proxy_hdr *h)
{
	if (h->command == PROXY_CMD_LOCAL)
		return "PROXY LOCAL";
	if (h->addrs)
		return "PROXY naming a Unix client";
	return h->version == 1 ? "PROXY UNKNOWN" : "PROXY without addresses";
}

/*
 * The client a header names, into *p: its IPv4 or IPv6 source address;
 * or, when it names none (LOCAL, UNKNOWN) or a Unix one, which says
 * nothing an admission rule could use, the connection's own peer: the
 * proxy (for a Unix socket, by its credentials).
 */
static bool
names_ip(const struct proxy_hdr *h)
{
	return h->addrs && (h->src.ss_family == AF_INET ||
	    h->src.ss_family == AF_INET6);
}

static int
client_of(int fd, const struct proxy_hdr *h, struct peer *p, char *why,
    size_t whylen)
{
	memset(p, 0, sizeof(*p));
	if (names_ip(h)) {
		p->sa = h->src;
		p->len = h->srclen;
		return 0;
	}
	p->len = sizeof(p->sa);
	if (getpeername(fd, (struct sockaddr *)&p->sa, &p->len) == 0 &&
	    peer_identify(fd, p) == 0)
		return 0;
	snprintf(why, whylen, "the proxy's address: %s", strerror(errno));
	return -1;
}

bool
relay_gate(void *ctx, struct conn *c)
{
	struct admit *a = ctx;
	const struct config *cfg = c->sess.cfg;
	struct peer client;
	struct conn_release ticket;
	char via[ADDR_STRLEN], who[ADDR_STRLEN], why[128];
	const char *ended;
	struct proxy_hdr h;
	enum admit_verdict v;
	long long left;

	/* proxy_timeout counts from the accept. */
	left = (long long)cfg->proxy.timeout_ms + clock_ms_until(&c->started);
	memcpy(via, c->sess.peer, sizeof(via));
	if (relay_read_header(c->sess.fd, cfg->proxy.versions, left, &h, why,
	    sizeof(why)) != 0 || client_of(c->sess.fd, &h, &client, why,
	    sizeof(why)) != 0) {
		/* Evicted or shut down meanwhile: say that instead. */
		if ((ended = c->sess.end_reason) != NULL)
			snprintf(why, sizeof(why), "%s", ended);
		admit_refuse_header(a, c->sess.fd, via, why);
		return false;
	}
	peer_format(&client, who, sizeof(who));
	v = admit_relayed(a, cfg, &client, &ticket);
	if (v != ADMIT_OK) {
		admit_refuse_relayed(a, cfg, c->sess.fd, who, via, v);
		return false;
	}
	c->release = ticket;
	/* A proxy's health checks would fill the log: one every few s. */
	c->quiet = h.command == PROXY_CMD_LOCAL;
	if (names_ip(&h))
		conn_rename(c, who);
	if (!cfg->log.connections)
		return true;
	if (names_ip(&h))
		log_info("%s: connected via proxy %s (%lu active)", who, via,
		    atomic_load(&stats.active));
	else
		log_msg(c->quiet ? LEVEL_DEBUG : LEVEL_INFO, "%s: connected "
		    "(%lu active; the proxy's own, %s)", via,
		    atomic_load(&stats.active), own_kind(&h));
	return true;
}
