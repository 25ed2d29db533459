/* Listen specifications ("HOST:PORT") and socket address formatting. */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

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
 * as "*:PORT").  HOST may be an address or a name (resolved later, at bind
 * time).  Returns 0, or -1 with a reason in why[whylen].
 */
int addr_parse(const char *spec, struct listen_spec *out, char *why,
    size_t whylen);

/* Writes "1.2.3.4:80" or "[::1]:80" into buf[len]. */
void addr_format(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len);

#endif
