/* Who may connect: [access] allow/deny rules as IPv4 and IPv6 CIDRs. */
#ifndef ECHOD_ACL_H
#define ECHOD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * An address block.  IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d,
 * prefix + 96), so that IPv4 peers seen on dual-stack sockets match IPv4
 * rules and one comparison serves both families.
 */
struct cidr {
	unsigned char addr[16];
	unsigned prefix;	/* 0 to 128, in the IPv6 form */
};

/*
 * Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or
 * /128).  Bits set beyond the prefix are an error, as is anything else
 * malformed.  Returns 0, or -1 with a reason in why[whylen].
 */
int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen);

/* The 16-byte form of a socket address (IPv4 mapped); false if not IP. */
/* An IPv6 block wider than /96 (such as ::/0) never matches IPv4 peers. */
bool cidr_key(const struct sockaddr *sa, unsigned char key[16]);

/* True for an IPv4 address in its mapped form. */
bool cidr_key_is_v4(const unsigned char key[16]);

bool cidr_match(const struct cidr *c, const unsigned char key[16]);

/* Writes "10.0.0.0/8" or "2001:db8::/32" into buf[len]. */
void cidr_format(const struct cidr *c, char *buf, size_t len);

/*
 * The rule, in one place: a deny that matches wins; otherwise, if there
 * are any allow rules, one of them must match; with none, all may come.
 */
bool acl_allows(const struct cidr *allow, size_t nallow,
    const struct cidr *deny, size_t ndeny, const unsigned char key[16]);

#endif
