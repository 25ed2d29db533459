/* The listening sockets: socket(), bind(), listen(), and their reload. */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"

struct config;

/*
 * A listening socket.  listener.c has a row for each kind of transport
 * (its name, socket type and address families, and how it is opened,
 * served, retuned on reload and closed): nothing else in echod tells
 * the kinds apart, except that the accept loop serves only those that
 * accept (listener_accepts()).
 */
struct listener {
	int fd;
	enum transport kind;
	char *spec;		/* the listen value it came from */
	unsigned nth;		/* which repeat of that value ("*:0" twice) */
	char addr[ADDR_STRLEN];	/* what it is bound to, real port included */
	struct bind_addr at;	/* the same, to compare and to bind again */
	bool reuse_port;	/* as opened, to open it again */
	unsigned backlog;
	struct udp *udp;	/* TRANSPORT_UDP: the thread serving it */
	/*
	 * A Unix socket's file, when echod made it (unix.c): it removes
	 * that file, and only that one, when it closes the socket.
	 */
	struct unix_file {
		bool made;	/* bound here; not one passed by systemd */
		dev_t dev;	/* which file bind() made */
		ino_t ino;
		unsigned mode;	/* unix_mode and unix_gid, as applied */
		gid_t gid;
	} file;
};

struct listeners {
	struct listener *v;
	size_t n;
};

/*
 * Makes *ls match cfg's listen values, as config_load() resolved them
 * (nothing is looked up here).  They are compared by the sockets they
 * mean, not by their text: a running socket bound to an address a value
 * still means is kept ("7" and "*:7" are one socket; of "localhost:7",
 * "127.0.0.1:7" keeps 127.0.0.1:7 and drops [::1]:7), and its backlog
 * updated; port 0 values keep their sockets by value.  New sockets are
 * opened while the old ones still serve, except one that overlaps a
 * socket being dropped ("*:7" to "127.0.0.1:7"): that one is closed
 * first.  All or nothing: on any failure, what was opened is closed, what
 * was closed is opened again, and -1 is returned with the reason logged.
 */
int listeners_update(struct listeners *ls, const struct config *cfg);

/*
 * Socket activation: takes the listening sockets a service manager passed
 * (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; see sd_listen_fds(3)), checks
 * that each is a socket of a known kind, starts serving those that serve
 * themselves (with cfg), and clears the variables.  Returns how many were
 * taken (0 when none were passed), or -1 (reason logged).
 */
int listeners_inherit(struct listeners *ls, const struct config *cfg);

/*
 * The sockets that serve themselves (UDP) take cfg's rules; the others
 * are left as they are.  For a reload that keeps the sockets as they are
 * (they came from the service manager, which set the others' backlog),
 * and after a failed one: a socket it closed and opened again must judge
 * by the running configuration, not the one that failed.
 */
void listeners_retune(struct listeners *ls, const struct config *cfg);

/* Whether the accept loop serves l: a stream socket that listen()s. */
bool listener_accepts(const struct listener *l);

void listeners_close(struct listeners *ls);

#endif
