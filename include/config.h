/* The configuration: an immutable, reference-counted object read from INI. */
#ifndef ECHOD_CONFIG_H
#define ECHOD_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "acl.h"

struct bind_addr;
struct proto;

#ifndef DEFAULT_CONFIG_PATH	/* the Makefile sets it from SYSCONFDIR */
#define DEFAULT_CONFIG_PATH "/etc/echod/echod.conf"
#endif
#define CONFIG_MAX_LISTEN 64
#define CONFIG_MAX_RULES 1024	/* [access] allow, and deny, each */
/* The largest configuration file read; a bigger one is an error. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_BYTES_TEXT "1 MiB"

/*
 * Once loaded, a config is never modified: a reload builds a new one, and
 * every worker holds a reference to the one it started with.
 */
struct config {
	atomic_uint refs;

	char *listen[CONFIG_MAX_LISTEN];	/* listen specs as written */
	size_t n_listen;
	/*
	 * The sockets each listen value means, resolved once when the file
	 * is loaded (for a reload, off the accept loop), so that opening
	 * them looks nothing up.  A name that does not resolve is no error
	 * in the file: error says why, for opening time to report.
	 */
	struct listen_addrs {
		struct bind_addr *v;
		size_t n;
		char *error;
	} addrs[CONFIG_MAX_LISTEN];
	unsigned backlog;
	const struct proto *mode;	/* the protocol served */
	unsigned max_connections;
	unsigned long long idle_timeout_ms;	/* 0: never */
	size_t buffer_size;
	bool splice;		/* echo streams through a pipe, uncopied */
	size_t thread_stack_size;
	unsigned long long shutdown_timeout_ms;
	bool reuse_port;
	char *user;		/* "" : none given */
	char *group;		/* "" : the user's primary group */
	unsigned long long send_timeout_ms;	/* 0: never */
	unsigned long long evict_idle_ms;	/* 0: never evict */
	unsigned max_connections_per_ip;	/* 0: no limit */
	unsigned ipv6_prefix;			/* bits that make a source */
	unsigned connection_rate;		/* per second per source; 0 off */
	unsigned udp_rate;			/* the same for datagrams; 0 off */
	unsigned unix_mode;	/* a Unix socket file's permissions */
	char *unix_group;	/* its group as written; "": the creator's */
	gid_t unix_gid;		/* that group, (gid_t)-1 for "" */

	struct {
		struct cidr *allow, *deny;
		size_t n_allow, n_deny;
	} access;

	/* The PROXY protocol (proxy.h): who may relay, and their header. */
	struct {
		unsigned versions;	/* PROXY_V1 | PROXY_V2; 0: off */
		struct cidr *from;	/* the trusted proxies */
		size_t n_from;
		unsigned long long timeout_ms;	/* for the whole header */
	} proxy;

	struct {
		bool reply;
		char *stop_word;	/* "" disables */
		char *greeting;		/* "" sends nothing */
		size_t max_line;
	} talk;

	struct {
		int level;		/* enum log_level */
		bool connections;
		/* Talk lines a second that reach the log (0: no limit). */
		unsigned talk_lines;		/* each connection's */
		size_t talk_bytes;
		unsigned talk_lines_total;	/* all connections' */
		size_t talk_bytes_total;
	} log;
};

/* What the command line says; it wins over the file, on reload too. */
struct config_overrides {
	const char *listen[CONFIG_MAX_LISTEN];
	size_t n_listen;
	const struct proto *mode;	/* NULL, or the protocol */
	bool debug;
};

/*
 * Why a file was not loaded: one message a line, without a newline, in
 * the order found, each "NAME:LINE: key: reason" (or "NAME: reason" when
 * the file cannot be read or is larger than CONFIG_MAX_BYTES).  Reading
 * stops at the file's 20th error and a few lines at most close the
 * report, so the lines fit in the struct: collecting them allocates only
 * the text of each.
 */
#define CONFIG_ERRORS_MAX 24
struct config_errors {
	char *line[CONFIG_ERRORS_MAX];
	size_t n;
};

/* The line that stands for messages there was no memory to keep. */
#define CONFIG_ERRORS_OOM "out of memory while reporting errors"

/*
 * Appends line, a malloc'd message the list then owns.  NULL, from an
 * allocation that failed, appends CONFIG_ERRORS_OOM instead (once for
 * several in a row), so that a failure is never reported empty.  Past
 * CONFIG_ERRORS_MAX lines, line is dropped.
 */
void config_errors_add(struct config_errors *e, char *line);

/* Frees every line and empties the list. */
void config_errors_free(struct config_errors *e);

/*
 * Reads and validates a config file.  On failure returns NULL with at
 * least one line in *errors; on success *errors is empty.  Either way
 * the caller may config_errors_free() it.  ov may be NULL.  A UTF-8 BOM
 * at the start and CR LF line ends are accepted.  It resolves every
 * listen value (cfg->addrs) and looks up user and group, so it may block
 * as long as the resolver does: on reload it runs in a thread of its own
 * (reload.h).
 */
struct config *config_load(const char *path,
    const struct config_overrides *ov, struct config_errors *errors);

/* The same, from an open stream; name is used in messages. */
struct config *config_load_stream(FILE *fp, const char *name,
    const struct config_overrides *ov, struct config_errors *errors);

/* Writes the effective configuration in INI form (echod -T). */
void config_print(const struct config *cfg, FILE *fp);

struct config *config_ref(struct config *cfg);
void config_unref(struct config *cfg);

/* The smallest thread_stack_size this system accepts. */
size_t config_min_stack(void);

#endif
