/*
 * Logging to stderr: one write per line, sd-daemon prefixes or time stamps.
 *
 * Errors, everywhere in echod.  A function that can fail returns 0 (or
 * what it made: a count, a descriptor, a pointer) on success, and -1 (or
 * NULL) on failure after it has logged the reason, naming the thing and
 * the cause.  Code that must not log, because -t, the fuzzers and the unit
 * tests call it too (addr.c, units.c, acl.c, proxy.c, config.c's checks,
 * srctab.c), gives the reason to its caller instead: in a why[] buffer,
 * a list of lines (config_errors) or errno.  Only thread starters return
 * an errno value, as pthread_create() does, because the caller decides
 * what the failure means: conn_start() (the client then waits for a
 * thread) and reload.c's spawn().
 */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* The numbers are syslog's, as sd-daemon(3) prefixes expect. */
enum log_level {
	LEVEL_ERROR = 3,
	LEVEL_WARNING = 4,
	LEVEL_INFO = 6,
	LEVEL_DEBUG = 7,
};

/* Chooses the line format: time stamps on a terminal, "<N>" otherwise. */
void log_init(void);

/*
 * True when stderr is the stream systemd connected to the journal
 * (JOURNAL_STREAM holds its device and inode numbers): there even the
 * plain messages of -t need a "<N>" priority prefix.
 */
bool log_stderr_is_journal(void);

/* Messages above this level are dropped.  Safe to call from any thread. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Writes one line (no trailing newline in fmt) with a single write(2). */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)    log_msg(LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LEVEL_DEBUG, __VA_ARGS__)

/*
 * Lets a message that may repeat quickly (a refused client, an accept
 * error) through at most once per interval.  For one thread's use.
 */
struct log_limit {
	long long next_ms;		/* CLOCK_MONOTONIC */
	unsigned long suppressed;	/* held back since the last one */
};

/*
 * True when a line may be written now; then *held says how many were
 * held back since the last line written, and the count restarts.
 */
bool log_limit_ok(struct log_limit *l, unsigned interval_ms,
    unsigned long *held);

/*
 * Escapes n bytes of untrusted data for a log line: printable ASCII and
 * valid UTF-8 are kept, a backslash becomes "\\", and every other byte
 * becomes "\xHH": controls, invalid UTF-8, and the bytes of C1 controls
 * and of invisible format characters (bidi controls, zero-width
 * characters, tags; the table is in log.c).  The result is always
 * NUL-terminated; when it does not fit in dstlen, it is cut at a whole
 * escape and ends in "...".  Returns the length written.
 */
size_t log_escape(char *dst, size_t dstlen, const void *src, size_t n);

/* The dstlen that always holds n escaped bytes without cutting. */
#define LOG_ESCAPED_MAX(n) ((n) * 4 + 1)

#endif
