/*
 * RFC 862 echo over TCP: whatever arrives goes back, byte for byte.  The
 * loop is the plainest one possible: recv() a buffer, send() all of it.
 * When the client half-closes, recv() returns 0 and everything received
 * has already been sent back, so the session is over.
 */
#include "echo.h"

#include <stdlib.h>

#include "config.h"
#include "conn.h"
#include "log.h"

void
echo_session(struct conn *c)
{
	size_t size = c->cfg->buffer_size;
	char *buf;
	ssize_t n;

	/* On the heap: worker stacks are deliberately small. */
	if ((buf = malloc(size)) == NULL) {
		log_error("%s: out of memory for a %zu-byte buffer", c->peer,
		    size);
		return;
	}
	while ((n = conn_recv(c, buf, size)) > 0)
		if (conn_send_all(c, buf, (size_t)n) != 0)
			break;
	free(buf);
}
