/*
 * The table of protocols.  A protocol is a session function over the
 * connection's I/O (session.h) in a file of its own, and one line here.
 */
#include "proto.h"

#include <stdio.h>
#include <string.h>

#include "echo.h"
#include "talk.h"

static const struct proto protos[] = {
	{ "echo", echo_session },	/* the default */
	{ "talk", talk_session },
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

const struct proto *
proto_find(const char *name)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (strcmp(name, protos[i].name) == 0)
			return &protos[i];
	return NULL;
}

const struct proto *
proto_default(void)
{
	return &protos[0];
}

void
proto_names(char *buf, size_t len, const char *sep, const char *last)
{
	size_t i, off = 0;
	int n;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < NPROTOS && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i == 0 ? "" :
		    i + 1 == NPROTOS ? last : sep, protos[i].name);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}
