/*
 * The protocols echod speaks, one entry each in proto.c's table: the
 * configuration, the command line and conn.c know them only from it.
 */
#ifndef ECHOD_PROTO_H
#define ECHOD_PROTO_H

#include <stddef.h>

struct session;

struct proto {
	const char *name;	/* as in mode = NAME and -m NAME */
	/* Serves one connection until it is over; conn.c closes it then. */
	void (*session)(struct session *s);
};

/* The protocol of that name, or NULL if there is none. */
const struct proto *proto_find(const char *name);

/* The one served when the configuration names none: the table's first. */
const struct proto *proto_default(void);

/*
 * Writes every name into buf[0..len), in the table's order: sep between
 * two, last before the last one (", " and " or ": "echo, talk or ...").
 */
void proto_names(char *buf, size_t len, const char *sep, const char *last);

#endif
