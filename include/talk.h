/* The talk protocol: line framing (pure) and the session loop. */
#ifndef ECHOD_TALK_H
#define ECHOD_TALK_H

#include <stddef.h>

struct session;

/*
 * Splits a byte stream into lines.  A line ends at LF; NUL bytes at the
 * start of a line are skipped (the classic simplex-talk client sends
 * "line\n\0"), and its end loses trailing NULs, then one CR, then NULs
 * again ("line\0\r\0\n" is "line").  A line whose content, without
 * what is dropped, is longer than max_line bytes is an error.
 */
struct talk_framer {
	char *buf;		/* max_line + 2 bytes */
	size_t len;		/* content of the pending line so far */
	size_t max_line;
	int done;		/* the line in buf was handed out */
	/*
	 * NULs, a CR and NULs seen after the content: dropped if the line
	 * ends here, content if more follows.  Counted, not stored, so a
	 * flood of NULs costs no memory and does not count as content.
	 */
	size_t nuls_before_cr, nuls_after_cr;
	int cr;
};

enum talk_event {
	TALK_MORE,		/* all input consumed, no complete line */
	TALK_LINE,		/* a line is ready in *line, *linelen */
	TALK_TOO_LONG,		/* talk_feed only: the line is over max_line */
};

int talk_framer_init(struct talk_framer *f, size_t max_line);
void talk_framer_free(struct talk_framer *f);

/*
 * Consumes bytes from in[0..n) up to and including the first line end.
 * *used says how many were consumed; call again with the rest.  On
 * TALK_LINE, *line points into the framer and stays valid until the next
 * call.
 */
enum talk_event talk_feed(struct talk_framer *f, const char *in, size_t n,
    size_t *used, const char **line, size_t *linelen);

/*
 * At end of input: a pending partial line is returned as TALK_LINE unless
 * it is empty; otherwise TALK_MORE.  Never TALK_TOO_LONG: talk_feed()
 * says so as soon as the content passes max_line, and a held-back tail
 * of NULs and a CR is dropped here, not counted.
 */
enum talk_event talk_finish(struct talk_framer *f, const char **line,
    size_t *linelen);

/* Runs a talk session on s until the client leaves or says the stop word. */
void talk_session(struct session *s);

#endif
