/*
 * Connections relayed by a proxy (proxy_protocol): the PROXY header read
 * off the socket on the worker thread, then the client it names admitted
 * as if it had connected directly.
 */
#ifndef ECHOD_RELAY_H
#define ECHOD_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "proxy.h"

struct conn;

/*
 * Reads the PROXY header at the start of stream socket fd, of the
 * versions the mask allows, waiting at most timeout_ms for all of it.
 * Only the header's bytes are taken from the socket: what the client
 * sent after it stays there for the protocol.  0 with *out filled, or -1
 * with the reason in why[whylen] (a bad header, the end of input, the
 * time up, an error).
 */
int relay_read_header(int fd, unsigned versions, long long timeout_ms,
    struct proxy_hdr *out, char *why, size_t whylen);

/*
 * The conn_gate of a connection from a trusted proxy (ctx: the server's
 * struct admit): reads its header within proxy_timeout of the accept,
 * admits the client it names (or, for a header without addresses such
 * as a LOCAL health check, the proxy itself), and takes that client's
 * address for the log.  False, with the reason logged, when the header
 * is bad or the client is refused.
 */
bool relay_gate(void *ctx, struct conn *c);

#endif
