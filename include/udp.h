/*
 * UDP echo (RFC 862, section 2): each UDP socket is served by a thread
 * of its own, which sends every datagram back to where it came from,
 * unchanged, unless a guard against reflection and loops drops it.
 */
#ifndef ECHOD_UDP_H
#define ECHOD_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct config;

/*
 * The receive buffer: more than the largest UDP payload (65,507 bytes
 * over IPv4, 65,527 over IPv6), so only an IPv6 jumbogram is ever longer
 * than it, and dropped.
 */
#define UDP_BUFFER (64 * 1024)

/*
 * Asks the kernel for the address each datagram on fd was sent to
 * (IP_PKTINFO; for an IPv6 socket IPV6_RECVPKTINFO too, while its IPv4
 * datagrams still come with the former).  0, or -1 with errno.
 */
int udp_want_destination(int fd, int family);

/* What recvmsg() told of a datagram. */
struct udp_dgram {
	struct sockaddr_storage from;
	socklen_t fromlen;
	size_t len;		/* its length, even if longer than the buffer */
	bool cut;		/* longer than the buffer (MSG_TRUNC) */
	int to_family;		/* the destination's: AF_INET(6), 0 unknown */
	struct in_addr to4;	/* IP_PKTINFO: the destination in the header */
	struct in_addr local4;	/* and the address the kernel answers from */
	struct in6_addr to6;	/* IPV6_PKTINFO: the destination */
	unsigned ifindex;	/* the interface it came in on */
};

/*
 * Receives one datagram from fd (non-blocking) into buf[size], and what
 * the kernel says of it into *d.  Returns its length, which is more than
 * size when it was cut (d->cut), or -1 with errno.
 */
ssize_t udp_recv(int fd, void *buf, size_t size, struct udp_dgram *d);

/* What becomes of a datagram, in the order the guards are checked. */
enum udp_verdict {
	UDP_ECHO,
	UDP_TRUNCATED,		/* longer than the buffer */
	UDP_PORT,		/* from port 0 or a service that answers */
	UDP_BROADCAST,		/* to or from no single host, or to unknown */
	UDP_DENIED,		/* by [access] */
	UDP_RATE,		/* over udp_rate */
};

/*
 * The guards that need no state: a datagram that was cut; one from port
 * 0 or from echo, daytime, qotd, chargen or time (7, 13, 17, 19, 37),
 * which would answer the echo and loop; and one to a multicast or
 * broadcast address or from one (or from 0.0.0.0 or ::), or whose
 * destination the kernel did not tell.
 */
enum udp_verdict udp_check(const struct udp_dgram *d);

/*
 * Sends d->len bytes of buf back to d's source from the address it was
 * sent to, so that a host with several addresses answers from the right
 * one.  0, or -1 with errno.
 */
int udp_reply(int fd, struct udp_dgram *d, void *buf);

/* A socket's thread. */
struct udp;

/*
 * Starts a thread serving fd, a bound datagram socket that asks for
 * destinations (udp_want_destination()), with cfg's [access] rules,
 * udp_rate and ipv6_prefix; name ("udp://127.0.0.1:7") is for messages.
 * NULL with the reason logged; fd stays the caller's either way.
 */
struct udp *udp_start(int fd, const char *name, const struct config *cfg);

/* The datagrams that follow are judged by cfg's rules (a reload). */
void udp_retune(struct udp *u, const struct config *cfg);

/*
 * Stops the thread, waits for it and frees u; then the caller closes the
 * socket, which no thread uses any more.
 */
void udp_stop(struct udp *u);

#endif
