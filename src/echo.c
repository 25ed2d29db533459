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

/*
 * Most connections send little, and an idle one should cost no more than
 * its thread: reads start in the small buffer inside struct conn.  A read
 * that fills the buffer means the client sends faster than one read takes
 * it, so the buffer grows, eight times at a step, up to buffer_size.
 */
#define GROW_FACTOR 8

/* Swaps *buf for a larger heap buffer; keeps the old one if out of memory. */
static void
grow(struct conn *c, char **heap, char **buf, size_t *size)
{
	size_t max = c->cfg->buffer_size;
	size_t want = *size > max / GROW_FACTOR ? max : *size * GROW_FACTOR;
	char *p;

	if ((p = malloc(want)) == NULL) {
		log_debug("%s: out of memory for a %zu-byte buffer; going on "
		    "with %zu bytes", c->peer, want, *size);
		return;
	}
	free(*heap);
	*heap = *buf = p;
	*size = want;
}

void
echo_session(struct conn *c)
{
	size_t max = c->cfg->buffer_size;
	size_t size = max < sizeof(c->small) ? max : sizeof(c->small);
	char *buf = c->small, *heap = NULL;
	ssize_t n;

	while ((n = conn_recv(c, buf, size)) > 0) {
		if (conn_send_all(c, buf, (size_t)n) != 0)
			break;
		if ((size_t)n == size && size < max)
			grow(c, &heap, &buf, &size);
	}
	free(heap);
}
