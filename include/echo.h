/* The echo protocol (RFC 862). */
#ifndef ECHOD_ECHO_H
#define ECHOD_ECHO_H

struct session;

/* Sends back every byte until the client closes its side. */
void echo_session(struct session *s);

#endif
