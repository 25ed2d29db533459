/* Listen specifications ("HOST:PORT") and socket address formatting. */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for "[v6addr%scope]:65535" and a NUL. */
#define ADDR_STRLEN 80

struct listen_spec {
	char host[256];		/* "" means every address (dual-stack) */
	unsigned short port;	/* 0 means "let the kernel pick" */
	int bracketed;		/* written as [V6ADDR]:PORT */
};

/*
 * Parses "HOST:PORT", "[V6ADDR]:PORT", "*:PORT" or a bare "PORT" (the same
 * as "*:PORT").  HOST may be an address or a name (resolved later, by
 * addr_resolve()).  Returns 0, or -1 with a reason in why[whylen].
 */
int addr_parse(const char *spec, struct listen_spec *out, char *why,
    size_t whylen);

/* One socket a listen value stands for. */
struct bind_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	bool v6only;		/* false only for the dual-stack "*" socket */
};

/*
 * The sockets a parsed listen value means, each address once: "*:PORT" is
 * one dual-stack [::]:PORT socket (0.0.0.0:PORT without IPv6), a HOST is
 * every address it resolves to, IPv6 ones IPv6 only.  Returns 0 and a
 * malloc'd array in *out (the caller frees it), or -1 with a reason.
 */
int addr_resolve(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen);

/* The same socket: family, address, scope, port and v6only agree. */
bool bind_addr_same(const struct bind_addr *a, const struct bind_addr *b);

/* An unspecified address: 0.0.0.0 or [::]. */
bool addr_is_any(const struct bind_addr *b);

/* The same, but for the port. */
bool bind_addr_same_host(const struct bind_addr *a,
    const struct bind_addr *b);

/*
 * Two sockets that cannot both be bound (without SO_REUSEPORT): the same
 * port, not 0, and an address both would serve ("*" and 0.0.0.0 serve
 * every address of their families).
 */
bool bind_addr_overlap(const struct bind_addr *a,
    const struct bind_addr *b);

/* Writes "1.2.3.4:80" or "[::1]:80" into buf[len]. */
void addr_format(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len);

#endif
