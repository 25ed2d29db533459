/*
 * UDP echo.  A UDP socket needs no accept loop and no thread per client:
 * one thread per socket reads each datagram with recvmsg() and sends it
 * back with sendmsg().  It polls the socket and an eventfd, so stopping
 * it is a write to the eventfd and a join, after which the socket can be
 * closed with no thread left to use it (or a reused descriptor).
 *
 * An echo over UDP answers whoever the source address says, and anyone
 * can write any source address.  So before a datagram is answered it
 * must not be from a service that answers back (two such services would
 * echo each other for ever), nor to a broadcast or multicast address
 * (one datagram, many answers), and its source must be allowed by
 * [access] and within udp_rate (admit.c).
 */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "addr.h"
#include "admit.h"
#include "log.h"
#include "stats.h"

/*
 * The thread's stack: it formats log lines (on the stack, 512 bytes and
 * the calls under them) and little else; its buffer is on the heap.
 */
#define UDP_STACK_SIZE (128 * 1024)
/* Datagrams read in a row before the stop request is looked at again. */
#define UDP_BURST 64
#define DROP_LOG_EVERY_MS 1000
#define ERROR_LOG_EVERY_MS 1000
/* At debug level: a line a datagram, but at most 100 a second. */
#define DEBUG_LOG_EVERY_MS 10

struct udp {
	int fd;
	int stop_fd;			/* eventfd: readable when to stop */
	pthread_t tid;
	char name[ADDR_STRLEN];		/* "udp://127.0.0.1:7" */
	pthread_mutex_t lock;
	struct admit_rules *next;	/* a reload's, not taken yet; lock */
	atomic_bool changed;		/* next was set */
	/* The thread's alone, once it runs: */
	struct admit_rules *rules;
	struct admit_rates rates;	/* udp_rate, per source */
	unsigned char *buf;		/* UDP_BUFFER bytes */
	struct log_limit drops, send_errors, recv_errors, debug;
};

int
udp_want_destination(int fd, int family)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0)
		return -1;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) != 0)
		return -1;
	return 0;
}

/* Takes the destination from a control message, if it says one. */
static void
take_destination(struct udp_dgram *d, const struct cmsghdr *c)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;

	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		d->to_family = AF_INET;
		d->to4 = pi.ipi_addr;
		d->local4 = pi.ipi_spec_dst;
		d->ifindex = (unsigned)pi.ipi_ifindex;
	} else if (c->cmsg_level == IPPROTO_IPV6 &&
	    c->cmsg_type == IPV6_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
		memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
		/* An IPv4 datagram's IP_PKTINFO says more: keep it. */
		if (d->to_family == AF_INET)
			return;
		d->ifindex = pi6.ipi6_ifindex;
		if (IN6_IS_ADDR_V4MAPPED(&pi6.ipi6_addr)) {
			d->to_family = AF_INET;
			memcpy(&d->to4, &pi6.ipi6_addr.s6_addr[12], 4);
			d->local4 = d->to4;
		} else {
			d->to_family = AF_INET6;
			d->to6 = pi6.ipi6_addr;
		}
	}
}

ssize_t
udp_recv(int fd, void *buf, size_t size, struct udp_dgram *d)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) +
		    CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &d->from;
	msg.msg_namelen = sizeof(d->from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	/* With MSG_TRUNC, the length returned is the datagram's own. */
	n = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return -1;
	d->fromlen = msg.msg_namelen;
	d->len = (size_t)n;
	d->cut = (msg.msg_flags & MSG_TRUNC) != 0 || (size_t)n > size;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		take_destination(d, c);
	return n;
}

static unsigned short
port_of(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	return ntohs(ss->ss_family == AF_INET ? sin->sin_port :
	    sin6->sin6_port);
}

/*
 * Services that answer whatever reaches them, so that an echo sent to
 * one is answered, echoed again, and so on, until a datagram is lost;
 * and port 0, which no real client sends from.
 */
static bool
answering_port(unsigned short port)
{
	static const unsigned short ports[] = { 0, 7, 13, 17, 19, 37 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (port == ports[i])
			return true;
	return false;
}

/* An IPv4 address no single host has: 0.0.0.0, broadcast, multicast. */
static bool
v4_not_a_host(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h == INADDR_ANY || h == INADDR_BROADCAST || IN_MULTICAST(h);
}

static bool
source_not_a_host(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct in6_addr *a6 =
	    &((const struct sockaddr_in6 *)ss)->sin6_addr;
	struct in_addr a4;

	if (ss->ss_family == AF_INET)
		return v4_not_a_host(sin->sin_addr);
	if (ss->ss_family != AF_INET6)
		return true;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(&a4, &a6->s6_addr[12], 4);
		return v4_not_a_host(a4);
	}
	return IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_MULTICAST(a6);
}

/*
 * A datagram to one host, this one.  For IPv4, a directed broadcast
 * (192.0.2.255) is told apart from a unicast one without a list of the
 * interfaces: the kernel answers a unicast datagram from the address it
 * was sent to, and says from which address it would answer (ipi_spec_dst),
 * which for a broadcast is another, the interface's own.
 */
static bool
destination_is_host(const struct udp_dgram *d)
{
	if (d->to_family == AF_INET6)
		return !IN6_IS_ADDR_MULTICAST(&d->to6);
	if (d->to_family != AF_INET)
		return false;
	if (v4_not_a_host(d->to4))
		return false;
	return d->local4.s_addr == INADDR_ANY ||
	    d->local4.s_addr == d->to4.s_addr;
}

enum udp_verdict
udp_check(const struct udp_dgram *d)
{
	if (d->cut)
		return UDP_TRUNCATED;
	if (answering_port(port_of(&d->from)))
		return UDP_PORT;
	if (source_not_a_host(&d->from) || !destination_is_host(d))
		return UDP_BROADCAST;
	return UDP_ECHO;
}

/* Fills control message c; returns the room it takes. */
static size_t
put_cmsg(struct cmsghdr *c, int level, int type, const void *data,
    size_t len)
{
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return CMSG_SPACE(len);
}

int
udp_reply(int fd, struct udp_dgram *d, void *buf)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = d->len };
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	if (d->cut) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &d->from;
	msg.msg_namelen = d->fromlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	c = (struct cmsghdr *)(void *)ctl.buf;
	/*
	 * The source address, not the interface: the routing table picks
	 * that, except for an IPv6 link-local address, which means nothing
	 * without one.  An IPv6 socket takes IP_PKTINFO for IPv4 too.
	 */
	if (d->to_family == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = d->to4;
		msg.msg_controllen = put_cmsg(c, IPPROTO_IP, IP_PKTINFO, &pi,
		    sizeof(pi));
	} else {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = d->to6;
		if (IN6_IS_ADDR_LINKLOCAL(&d->to6))
			pi6.ipi6_ifindex = d->ifindex;
		msg.msg_controllen = put_cmsg(c, IPPROTO_IPV6, IPV6_PKTINFO,
		    &pi6, sizeof(pi6));
	}
	do
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != d->len) {	/* a datagram goes whole or not */
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Why a datagram was dropped, for the log. */
static void
drop_reason(enum udp_verdict v, const struct udp *u,
    const struct udp_dgram *d, bool shared, char *buf, size_t len)
{
	switch (v) {
	case UDP_TRUNCATED:
		snprintf(buf, len, "%zu bytes, longer than the %d-byte "
		    "buffer", d->len, UDP_BUFFER);
		break;
	case UDP_PORT:
		snprintf(buf, len, "from port %u, whose answers would loop",
		    port_of(&d->from));
		break;
	case UDP_BROADCAST:
		snprintf(buf, len, "to or from a broadcast or multicast "
		    "address, or to an unknown one");
		break;
	case UDP_DENIED:
		snprintf(buf, len, "denied by [access]");
		break;
	case UDP_RATE:
		snprintf(buf, len, "over udp_rate (%u/s%s)", u->rules->rate,
		    shared ? ", in the shared bucket" : "");
		break;
	case UDP_ECHO:
		snprintf(buf, len, "echoed");
		break;
	}
}

/* The counter of the datagrams each verdict drops. */
static atomic_ullong *const dropped[] = {
	[UDP_TRUNCATED] = &stats.udp.truncated,
	[UDP_PORT] = &stats.udp.port,
	[UDP_BROADCAST] = &stats.udp.broadcast,
	[UDP_DENIED] = &stats.udp.denied,
	[UDP_RATE] = &stats.udp.rate,
};

/* A reload's rules, if one came since the last datagram. */
static void
take_rules(struct udp *u)
{
	struct admit_rules *r;

	if (!atomic_exchange(&u->changed, false))
		return;
	pthread_mutex_lock(&u->lock);
	r = u->next;
	u->next = NULL;
	pthread_mutex_unlock(&u->lock);
	if (r != NULL) {
		admit_rules_free(u->rules);
		u->rules = r;
	}
}

/* Every guard, in order; *shared: over udp_rate in the shared bucket. */
static enum udp_verdict
judge(struct udp *u, const struct udp_dgram *d, bool *shared)
{
	enum udp_verdict v = udp_check(d);

	*shared = false;
	if (v != UDP_ECHO)
		return v;
	switch (admit_datagram(&u->rates, u->rules,
	    (const struct sockaddr *)&d->from)) {
	case ADMIT_OK:
		return UDP_ECHO;
	case ADMIT_DENIED:
		return UDP_DENIED;
	case ADMIT_RATE_SHARED:
		*shared = true;
		return UDP_RATE;
	case ADMIT_RATE:
	case ADMIT_PER_IP:	/* not verdicts on datagrams */
	case ADMIT_PROXY:
	case ADMIT_NOT_PROXY:
		break;
	}
	return UDP_RATE;
}

/* Drops, and errors below, are said at most once a second each. */
static void
log_dropped(struct udp *u, const struct udp_dgram *d, enum udp_verdict v,
    bool shared)
{
	char who[ADDR_STRLEN], why[96];
	unsigned long held;

	if (!log_limit_ok(&u->drops, DROP_LOG_EVERY_MS, &held))
		return;
	addr_format((const struct sockaddr *)&d->from, d->fromlen, who,
	    sizeof(who));
	drop_reason(v, u, d, shared, why, sizeof(why));
	log_warning("%s: dropped a datagram from %s: %s (%lu more dropped "
	    "since the last such line)", u->name, who, why, held);
}

static void
log_send_error(struct udp *u, const struct udp_dgram *d, int err)
{
	char who[ADDR_STRLEN];
	unsigned long held;

	if (!log_limit_ok(&u->send_errors, ERROR_LOG_EVERY_MS, &held))
		return;
	addr_format((const struct sockaddr *)&d->from, d->fromlen, who,
	    sizeof(who));
	log_warning("%s: cannot send %zu bytes back to %s: %s (%lu more "
	    "send errors since the last such line)", u->name, d->len, who,
	    strerror(err), held);
}

static void
log_recv_error(struct udp *u, int err)
{
	unsigned long held;

	if (log_limit_ok(&u->recv_errors, ERROR_LOG_EVERY_MS, &held))
		log_warning("%s: recvmsg: %s (%lu more since the last such "
		    "line)", u->name, strerror(err), held);
}

static void
log_datagram(struct udp *u, const struct udp_dgram *d, enum udp_verdict v,
    bool shared)
{
	char who[ADDR_STRLEN], why[96];
	unsigned long held;

	if (log_get_level() < LEVEL_DEBUG ||
	    !log_limit_ok(&u->debug, DEBUG_LOG_EVERY_MS, &held))
		return;
	addr_format((const struct sockaddr *)&d->from, d->fromlen, who,
	    sizeof(who));
	drop_reason(v, u, d, shared, why, sizeof(why));
	if (held > 0)
		log_debug("%s: %lu datagrams not logged", u->name, held);
	log_debug("%s: %zu bytes from %s: %s", u->name, d->len, who, why);
}

static void
serve_one(struct udp *u, struct udp_dgram *d)
{
	enum udp_verdict v;
	bool shared;
	int err;

	take_rules(u);
	atomic_fetch_add(&stats.udp.received, 1);
	v = judge(u, d, &shared);
	log_datagram(u, d, v, shared);
	/* Said, then counted: whoever sees the count can read the line. */
	if (v != UDP_ECHO) {
		log_dropped(u, d, v, shared);
		atomic_fetch_add(dropped[v], 1);
		return;
	}
	if (udp_reply(u->fd, d, u->buf) != 0) {
		err = errno;
		log_send_error(u, d, err);
		atomic_fetch_add(&stats.udp.send_errors, 1);
		return;
	}
	atomic_fetch_add(&stats.udp.bytes, d->len);
	atomic_fetch_add(&stats.udp.echoed, 1);
}

/* The datagrams waiting, UDP_BURST at most; false on a lasting error. */
static bool
serve_burst(struct udp *u)
{
	struct udp_dgram d;
	int i;

	for (i = 0; i < UDP_BURST; i++) {
		if (udp_recv(u->fd, u->buf, UDP_BUFFER, &d) >= 0) {
			serve_one(u, &d);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		if (errno == EBADF || errno == ENOTSOCK || errno == EINVAL ||
		    errno == EFAULT) {
			log_error("%s: recvmsg: %s; no longer serving it",
			    u->name, strerror(errno));
			return false;
		}
		/* Passing (EINTR, ENOMEM), or an ICMP error reported. */
		log_recv_error(u, errno);
	}
	return true;
}

static void *
udp_main(void *arg)
{
	struct udp *u = arg;
	struct pollfd pfd[2] = {
		{ .fd = u->fd, .events = POLLIN },
		{ .fd = u->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: poll: %s; no longer serving it", u->name,
			    strerror(errno));
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0 && !serve_burst(u))
			break;
	}
	return NULL;
}

/* "udp 7" in ps -L and top -H; a thread's name has 15 bytes at most. */
static void
name_thread(struct udp *u)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[16];
	int err;

	if (getsockname(u->fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	snprintf(name, sizeof(name), "udp %u", port_of(&ss));
	if ((err = pthread_setname_np(u->tid, name)) != 0)
		log_debug("%s: cannot name its thread: %s", u->name,
		    strerror(err));
}

static int
start_thread(struct udp *u)
{
	pthread_attr_t attr;
	int err;

	if ((err = pthread_attr_init(&attr)) != 0)
		return err;
	err = pthread_attr_setstacksize(&attr, UDP_STACK_SIZE);
	if (err == 0)
		err = pthread_create(&u->tid, &attr, udp_main, u);
	pthread_attr_destroy(&attr);
	return err;
}

static void
udp_free(struct udp *u)
{
	admit_rules_free(u->next);
	admit_rules_free(u->rules);
	admit_rates_free(&u->rates);
	free(u->buf);
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	free(u);
}

struct udp *
udp_start(int fd, const char *name, const struct config *cfg)
{
	struct udp *u = calloc(1, sizeof(*u));
	int err;

	if (u == NULL) {
		log_error("cannot serve %s: out of memory", name);
		return NULL;
	}
	u->fd = fd;
	u->stop_fd = -1;
	snprintf(u->name, sizeof(u->name), "%s", name);
	if ((u->buf = malloc(UDP_BUFFER)) == NULL ||
	    (u->rules = admit_rules_new(cfg)) == NULL) {
		log_error("cannot serve %s: out of memory", name);
		goto fail;
	}
	if (admit_rates_init(&u->rates, "udp_rate",
	    ADMIT_UDP_MAX_SOURCES) != 0)
		goto fail;
	if ((u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		log_error("cannot serve %s: eventfd: %s", name,
		    strerror(errno));
		goto fail;
	}
	if ((err = pthread_mutex_init(&u->lock, NULL)) != 0) {
		log_error("cannot serve %s: %s", name, strerror(err));
		goto fail;
	}
	atomic_init(&u->changed, false);
	if ((err = start_thread(u)) != 0) {
		log_error("cannot serve %s: pthread_create: %s", name,
		    strerror(err));
		pthread_mutex_destroy(&u->lock);
		goto fail;
	}
	name_thread(u);
	atomic_fetch_add(&stats.udp.sockets, 1);
	return u;
fail:
	udp_free(u);
	return NULL;
}

void
udp_retune(struct udp *u, const struct config *cfg)
{
	struct admit_rules *r = admit_rules_new(cfg), *old;

	if (r == NULL) {
		log_warning("%s: keeps the rules it had", u->name);
		return;
	}
	pthread_mutex_lock(&u->lock);
	old = u->next;
	u->next = r;
	atomic_store(&u->changed, true);
	pthread_mutex_unlock(&u->lock);
	admit_rules_free(old);
}

void
udp_stop(struct udp *u)
{
	static const uint64_t one = 1;
	int err;

	/*
	 * An eventfd's 64-bit counter takes a 1 whatever it holds: this
	 * does not fail.  If it did, the thread would be left to end once
	 * its socket is closed, and u to it.
	 */
	if (write(u->stop_fd, &one, sizeof(one)) < 0) {
		log_error("%s: cannot stop its thread: eventfd: %s", u->name,
		    strerror(errno));
		pthread_detach(u->tid);
		return;
	}
	if ((err = pthread_join(u->tid, NULL)) != 0)
		log_error("%s: pthread_join: %s", u->name, strerror(err));
	pthread_mutex_destroy(&u->lock);
	atomic_fetch_sub(&stats.udp.sockets, 1);
	udp_free(u);
}
