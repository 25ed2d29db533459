/* Listen specifications ("HOST:PORT") and socket address formatting. */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Room for "udp://[v6addr%scope]:65535", or for "unix:" and the longest
 * socket path, and a NUL.
 */
#define ADDR_STRLEN 128

/* The longest Unix socket path: sun_path less its NUL. */
#define ADDR_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* What a listen value serves on; TCP is 0, so a zeroed address is TCP. */
enum transport {
	TRANSPORT_TCP,		/* tcp://HOST:PORT, or HOST:PORT */
	TRANSPORT_UDP,		/* udp://HOST:PORT */
	TRANSPORT_UNIX,		/* unix:/PATH, a stream socket */
};

/* The scheme's name: "tcp", "udp" or "unix". */
const char *transport_name(enum transport kind);

struct listen_spec {
	enum transport kind;
	char host[256];		/* "" means every address (dual-stack) */
	unsigned short port;	/* 0 means "let the kernel pick" */
	int bracketed;		/* written as [V6ADDR]:PORT */
	char path[ADDR_PATH_MAX + 1];	/* TRANSPORT_UNIX: absolute */
};

/*
 * Parses a listen value: "HOST:PORT", "[V6ADDR]:PORT", "*:PORT" or a bare
 * "PORT" (the same as "*:PORT"), each optionally after "tcp://" (the
 * same) or "udp://"; or "unix:/PATH".  HOST may be an address or a name
 * (resolved later, by addr_resolve()).  Schemes are lowercase.  Returns
 * 0, or -1 with a reason in why[whylen].
 */
int addr_parse(const char *spec, struct listen_spec *out, char *why,
    size_t whylen);

/*
 * One socket a listen value stands for.  For TRANSPORT_UNIX, sa holds a
 * struct sockaddr_un with the path (and len counts its NUL), v6only is
 * false.
 */
struct bind_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	bool v6only;		/* false only for the dual-stack "*" socket */
	enum transport kind;
};

/*
 * The sockets a parsed listen value means, each address once: "*:PORT" is
 * one dual-stack [::]:PORT socket (0.0.0.0:PORT without IPv6), a HOST is
 * every address it resolves to, IPv6 ones IPv6 only; "unix:/PATH" is one
 * socket, looked up nowhere, its path with "//" and "/./" made "/".
 * Returns 0 and a malloc'd array in *out (the caller frees it), or -1
 * with a reason.
 */
int addr_resolve(const struct listen_spec *ls, struct bind_addr **out,
    size_t *n, char *why, size_t whylen);

/*
 * The same socket: kind, family, address, scope, port and v6only agree
 * (for Unix sockets: the path).
 */
bool bind_addr_same(const struct bind_addr *a, const struct bind_addr *b);

/* An unspecified address: 0.0.0.0 or [::] (never a Unix socket). */
bool addr_is_any(const struct bind_addr *b);

/* The same, but for the port. */
bool bind_addr_same_host(const struct bind_addr *a,
    const struct bind_addr *b);

/*
 * Two sockets that cannot both be bound (without SO_REUSEPORT): the same
 * kind and port, not 0, and an address both would serve ("*" and 0.0.0.0
 * serve every address of their families); or Unix sockets with the same
 * path.  TCP and UDP on one port do not overlap.
 */
bool bind_addr_overlap(const struct bind_addr *a,
    const struct bind_addr *b);

/*
 * Writes "1.2.3.4:80", "[::1]:80" or "unix:/PATH" into buf[len]; an
 * unnamed Unix socket (a client's) is "unix:(unnamed)", an abstract one
 * "unix:@NAME", escaped.
 */
void addr_format(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len);

/*
 * The same for a bind_addr, with its scheme where it is not TCP, so that
 * logs tell them apart: "127.0.0.1:7", "udp://127.0.0.1:7", "unix:/PATH".
 */
void bind_addr_format(const struct bind_addr *b, char *buf, size_t len);

/*
 * A client, as accept() gave it.  A Unix socket's client is mostly
 * unnamed (it did not bind), so it is known by the credentials of the
 * process that connected: the kernel's, not the client's word.
 */
struct peer {
	struct sockaddr_storage sa;
	socklen_t len;
	struct ucred cred;	/* AF_UNIX: SO_PEERCRED, as of connect() */
};

/*
 * Completes p for the connection fd: an AF_UNIX peer's credentials.
 * 0, or -1 with errno set.
 */
int peer_identify(int fd, struct peer *p);

/* "127.0.0.1:52814", "[::1]:52814", or "unix:pid=123,uid=1000,gid=1000". */
void peer_format(const struct peer *p, char *buf, size_t len);

#endif
