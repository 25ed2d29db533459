/*
 * "simplex-talk": the client says lines, the daemon shows each one in its
 * log and, when configured to, answers with the same line.  The framer is
 * separate from the socket code so that it can be tested byte by byte.
 */
#include "talk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "session.h"

/* Lines longer than this are cut (with "...") in the log, not on the wire. */
#define TALK_LOG_MAX 2048
/* What a talk line adds to its text in the log: "<6>talk ", ": ", LF. */
#define TALK_LOG_FRAME 11

/* The log budget of every talk connection together. */
static struct budget_shared all_talk = BUDGET_SHARED_INITIALIZER;

/* What one connection's lines may cost the log, and what they did. */
struct talk_log {
	struct budget own;
	struct budget_rates own_rates, all_rates;
	struct budget_held held;
	char *esc;		/* the escaped line */
	size_t esclen;
};

static void
framer_reset(struct talk_framer *f)
{
	f->len = 0;
	f->done = 0;
	f->nuls_before_cr = f->nuls_after_cr = 0;
	f->cr = 0;
}

int
talk_framer_init(struct talk_framer *f, size_t max_line)
{
	/* The content, then room for a '\n' (the reply) or a '\0'. */
	f->buf = malloc(max_line + 2);
	f->max_line = max_line;
	framer_reset(f);
	return f->buf == NULL ? -1 : 0;
}

void
talk_framer_free(struct talk_framer *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* Appends n copies of c; false when the line would exceed max_line. */
static bool
append(struct talk_framer *f, char c, size_t n)
{
	if (n > f->max_line - f->len)
		return false;
	memset(f->buf + f->len, c, n);
	f->len += n;
	return true;
}

/* The held-back NULs and CR turn out to be content: store them. */
static bool
commit_tail(struct talk_framer *f)
{
	bool ok = append(f, '\0', f->nuls_before_cr) &&
	    append(f, '\r', (size_t)f->cr) &&
	    append(f, '\0', f->nuls_after_cr);

	f->nuls_before_cr = f->nuls_after_cr = 0;
	f->cr = 0;
	return ok;
}

/* Takes one byte that is not LF; false when the line is too long. */
static bool
take(struct talk_framer *f, char c)
{
	if (c == '\0') {
		if (f->len == 0 && !f->cr)
			return true;		/* leading NULs: skipped */
		if (f->cr)
			f->nuls_after_cr++;
		else
			f->nuls_before_cr++;
		return true;
	}
	if (c == '\r' && !f->cr) {
		f->cr = 1;
		return true;
	}
	if (c == '\r') {
		/*
		 * A second CR: only the NULs after the first one can still
		 * end up in the dropped "NULs, CR, NULs" tail.
		 */
		if (!append(f, '\0', f->nuls_before_cr) ||
		    !append(f, '\r', 1))
			return false;
		f->nuls_before_cr = f->nuls_after_cr;
		f->nuls_after_cr = 0;
		return true;
	}
	/* Anything else keeps all that was held back. */
	return commit_tail(f) && append(f, c, 1);
}

/* Hands out the content; the held-back tail is dropped. */
static enum talk_event
line_out(struct talk_framer *f, const char **line, size_t *linelen)
{
	f->done = 1;
	f->buf[f->len] = '\0';
	*line = f->buf;
	*linelen = f->len;
	return TALK_LINE;
}

enum talk_event
talk_feed(struct talk_framer *f, const char *in, size_t n, size_t *used,
    const char **line, size_t *linelen)
{
	size_t i;

	if (f->done)		/* the last line was handed out */
		framer_reset(f);
	for (i = 0; i < n; i++) {
		if (in[i] == '\n') {
			*used = i + 1;
			return line_out(f, line, linelen);
		}
		if (!take(f, in[i])) {
			*used = i;
			return TALK_TOO_LONG;
		}
	}
	*used = n;
	return TALK_MORE;
}

enum talk_event
talk_finish(struct talk_framer *f, const char **line, size_t *linelen)
{
	if (f->done)
		framer_reset(f);
	if (f->len == 0)
		return TALK_MORE;	/* nothing but NULs or a CR */
	return line_out(f, line, linelen);
}

/* What the session does after a line. */
enum next {
	NEXT_LINE,		/* reads on */
	NEXT_CLOSE,		/* is over: closes after the client's input */
	NEXT_ABORT,		/* could not send: closes now */
};

/* Sends the last reply, if replying. */
static enum next
last_word(struct session *s, const char *reply, size_t len)
{
	if (s->cfg->talk.reply && session_send_all(s, reply, len) != 0)
		return NEXT_ABORT;
	return NEXT_CLOSE;
}

static void
not_logged(struct session *s, unsigned long long n)
{
	log_info("%llu line%s from %s not logged (over the talk log budget)",
	    n, n == 1 ? "" : "s", s->peer);
}

/*
 * Logs a line if both the connection's budget and the one all share allow
 * it; a line held back is counted, and the count logged at most once a
 * second.  Only the log is budgeted: every line is still answered.
 */
static void
log_line(struct session *s, struct talk_log *tl, const char *line, size_t len)
{
	long long now;
	unsigned long long cost = 0, held;
	bool ok;

	if (log_get_level() < LEVEL_INFO)
		return;
	now = clock_ms();
	/* Escaping costs time too: not for a line that cannot pass. */
	ok = budget_ready(&tl->own, &tl->own_rates, now);
	if (ok) {
		cost = log_escape(tl->esc, tl->esclen, line, len) +
		    strlen(s->peer) + TALK_LOG_FRAME;
		ok = budget_shared_take(&all_talk, &tl->all_rates, cost, now);
	}
	if (!ok)
		budget_hold(&tl->held, now);
	if ((held = budget_due(&tl->held, now)) > 0)
		not_logged(s, held);
	if (ok) {
		budget_charge(&tl->own, &tl->own_rates, cost);
		log_info("talk %s: %s", s->peer, tl->esc);
	}
}

/* Logs one line and answers it. */
static enum next
handle_line(struct session *s, struct talk_framer *f, struct talk_log *tl,
    size_t len)
{
	const struct config *cfg = s->cfg;
	const char *stop = cfg->talk.stop_word;

	log_line(s, tl, f->buf, len);
	if (*stop != '\0' && len == strlen(stop) &&
	    memcmp(f->buf, stop, len) == 0) {
		s->end_reason = "stop word";
		return last_word(s, "BYE\n", 4);
	}
	if (!cfg->talk.reply)
		return NEXT_LINE;
	/* The framer keeps a spare byte after every line for this '\n'. */
	f->buf[len] = '\n';
	return session_send_all(s, f->buf, len + 1) != 0 ? NEXT_ABORT :
	    NEXT_LINE;
}

static enum next
too_long(struct session *s)
{
	log_info("talk %s: line longer than %zu bytes; closing", s->peer,
	    s->cfg->talk.max_line);
	s->end_reason = "line too long";
	return last_word(s, "ERR line too long\n", 18);
}

/* Feeds buf[0..n) through the framer, up to a line that ends the session. */
static enum next
feed(struct session *s, struct talk_framer *f, const char *buf, size_t n,
    struct talk_log *tl)
{
	const char *line;
	size_t used, len, off = 0;
	enum talk_event ev;
	enum next next = NEXT_LINE;

	while (off < n && next == NEXT_LINE) {
		ev = talk_feed(f, buf + off, n - off, &used, &line, &len);
		off += used;
		if (ev == TALK_TOO_LONG)
			next = too_long(s);
		else if (ev == TALK_LINE)
			next = handle_line(s, f, tl, len);
	}
	return next;
}

static void
greet(struct session *s)
{
	const char *greeting = s->cfg->talk.greeting;
	size_t len = strlen(greeting);
	char *line;

	/* reply = no is pure simplex: not a byte goes to the client. */
	if (len == 0 || !s->cfg->talk.reply ||
	    (line = malloc(len + 1)) == NULL)
		return;
	memcpy(line, greeting, len);
	line[len] = '\n';
	session_send_all(s, line, len + 1);
	free(line);
}

void
talk_session(struct session *s)
{
	const struct config *cfg = s->cfg;
	struct talk_log tl = {
		.own_rates = { cfg->log.talk_lines, cfg->log.talk_bytes },
		.all_rates = { cfg->log.talk_lines_total,
		    cfg->log.talk_bytes_total },
		.esclen = LOG_ESCAPED_MAX(cfg->talk.max_line < TALK_LOG_MAX ?
		    cfg->talk.max_line : TALK_LOG_MAX),
	};
	struct talk_framer f;
	unsigned long long held;
	char *buf;
	const char *line;
	size_t len;
	ssize_t n;
	enum next next = NEXT_LINE;

	buf = malloc(cfg->buffer_size);
	tl.esc = malloc(tl.esclen);
	if (buf == NULL || tl.esc == NULL ||
	    talk_framer_init(&f, cfg->talk.max_line) != 0) {
		log_error("%s: out of memory for a talk session", s->peer);
		free(buf);
		free(tl.esc);
		return;
	}
	greet(s);
	while (next == NEXT_LINE &&
	    (n = session_recv(s, buf, cfg->buffer_size)) > 0)
		next = feed(s, &f, buf, (size_t)n, &tl);
	/* The client may still be sending after the line that ended it. */
	if (next == NEXT_CLOSE)
		session_linger(s, buf, cfg->buffer_size);
	/* At end of input, a last line without LF still counts. */
	else if (next == NEXT_LINE && n == 0 &&
	    talk_finish(&f, &line, &len) == TALK_LINE)
		handle_line(s, &f, &tl, len);
	if ((held = budget_rest(&tl.held)) > 0)
		not_logged(s, held);
	talk_framer_free(&f);
	free(tl.esc);
	free(buf);
}
