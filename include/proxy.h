/*
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a
 * header a proxy puts before the client's bytes to say whose connection it
 * relays.  The parser is pure: no allocation, no state kept between calls,
 * no logging.
 */
#ifndef ECHOD_PROXY_H
#define ECHOD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The versions a listener accepts (a bit mask). */
#define PROXY_V1	1u		/* "PROXY TCP4 ...\r\n" */
#define PROXY_V2	2u		/* the binary header */
#define PROXY_ANY	(PROXY_V1 | PROXY_V2)

/*
 * The longest v1 line, CRLF included ("PROXY UNKNOWN" with two IPv6
 * addresses and two ports): the specification's own bound.
 */
#define PROXY_V1_MAX	107
/*
 * The longest v2 header echod takes, its 16 fixed bytes included.  The
 * protocol allows 16 + 65535 and the specification means headers to fit
 * in 536 bytes (one minimal TCP segment), but a sender with its optional
 * TLVs (a 255-byte host name, a 128-byte unique ID, the TLS strings, an
 * AF_UNIX address block of 216 bytes) can pass 536.  1 KiB holds all of
 * them, and is small enough for a buffer on a 16 KiB thread stack; echod
 * only needs the addresses and skips the TLVs.
 */
#define PROXY_V2_MAX	1024
/* A buffer this long always holds a whole header of either version. */
#define PROXY_MAX	PROXY_V2_MAX

enum proxy_status {
	PROXY_MORE,		/* a header's start: call again with more */
	PROXY_OK,		/* a whole, valid header */
	PROXY_BAD,		/* not an acceptable header: drop the client */
};

enum proxy_command {
	PROXY_CMD_LOCAL,	/* the proxy's own connection (a health check) */
	PROXY_CMD_PROXY,	/* relayed for a client */
};

struct proxy_hdr {
	size_t len;		/* header bytes; the client's data follow */
	int version;		/* 1 or 2 */
	enum proxy_command command;	/* always PROXY_CMD_PROXY for v1 */
	/*
	 * As the header says: AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC (v1
	 * "UNKNOWN"); SOCK_STREAM, SOCK_DGRAM or 0 (unspecified).  LOCAL
	 * ignores them: AF_UNSPEC and 0.
	 */
	int family;
	int socktype;
	/*
	 * src (the client) and dst (the address it connected to) hold the
	 * relayed endpoints, with their lengths.  When false (LOCAL, v1
	 * "UNKNOWN", v2 AF_UNSPEC or transport 0) the connection's own
	 * addresses apply, as the specification says, and both are zero.
	 * An AF_UNIX path is followed by a NUL inside the sockaddr_storage
	 * even when it fills all of sun_path.
	 */
	bool addrs;
	struct sockaddr_storage src, dst;
	socklen_t srclen, dstlen;
};

/*
 * Parses the header at the start of buf[0..len), the bytes received so
 * far, of the versions the mask allows.
 *
 * PROXY_MORE: buf is the start of a header; call again with the same
 * bytes and more.  len is then below PROXY_MAX (below PROXY_V1_MAX for a
 * v1 line), so a PROXY_MAX buffer never fills up with PROXY_MORE.
 * PROXY_OK: *out describes it, and the client's data start at out->len
 * (the bytes from there on are not looked at).
 * PROXY_BAD: *why (if why is not NULL) is a short reason for a log line;
 * more bytes would not change that.
 *
 * *out is zeroed unless PROXY_OK; *why is NULL unless PROXY_BAD.
 */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
    unsigned versions, struct proxy_hdr *out, const char **why);

#endif
