/*
 * The configuration file.  inih splits lines into section, key and value;
 * echod feeds it lines through its own reader so that it can report an
 * over-long line (which the distribution's inih would silently cut and
 * then misnumber) and every syntax error at its true line number.  The
 * reader streams: it keeps the start of a line and only counts the rest,
 * and stops at CONFIG_MAX_BYTES, so no file can make it hold much memory.
 * It also takes files edited on Windows (a UTF-8 BOM, CR LF line ends).
 * One handler matches section and key against a table and validates the
 * value with its unit and range.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "proto.h"
#include "proxy.h"
#include "units.h"

/*
 * Reading stops at this many errors; at most 4 lines follow (inih's own
 * error or out of memory, "too many errors", the default listen value,
 * resolving), so the list always has room.
 */
#define MAX_ERRORS 20
_Static_assert(MAX_ERRORS + 4 <= CONFIG_ERRORS_MAX, "room for every error");
/* Room for the longest line inih takes (198 characters), a CR and a NUL. */
#define LINE_KEEP 256
/* For messages; the sections of keys[] below, in order. */
#define KNOWN_SECTIONS "[server], [talk], [access], [log]"

enum kind {
	K_LISTEN,
	K_CIDR,		/* struct cidr, appended to allow or deny */
	K_UINT,		/* unsigned */
	K_SIZE,		/* size_t */
	K_DURATION,	/* unsigned long long, milliseconds */
	K_BOOL,		/* bool */
	K_STRING,	/* char * */
	K_MODE,		/* const struct proto *, from proto.h */
	K_LEVEL,	/* int, enum log_level */
	K_USER,		/* char *, a known user name */
	K_GROUP,	/* char *, a known group name */
	K_FILE_MODE,	/* unsigned, octal permissions */
	K_GID,		/* char *, a known group name or a number */
	K_PROXY,	/* unsigned, PROXY protocol versions (proxy.h) */
};

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	size_t offset;
	unsigned long long min, max;
};

/* A K_SIZE min: the smallest thread stack the system accepts. */
#define MIN_STACK ULLONG_MAX

#define KB 1024ULL
#define MB (1024ULL * 1024)
#define SEC 1000ULL

static const struct key keys[] = {
	{ "server", "listen", K_LISTEN, 0, 0, 0 },
	{ "server", "backlog", K_UINT, offsetof(struct config, backlog),
	    1, 65535 },
	{ "server", "mode", K_MODE, offsetof(struct config, mode), 0, 0 },
	{ "server", "max_connections", K_UINT,
	    offsetof(struct config, max_connections), 1, 1000000 },
	{ "server", "max_connections_per_ip", K_UINT,
	    offsetof(struct config, max_connections_per_ip), 0, 1000000 },
	{ "server", "connection_rate", K_UINT,
	    offsetof(struct config, connection_rate), 0, 1000000 },
	{ "server", "udp_rate", K_UINT, offsetof(struct config, udp_rate),
	    0, 1000000 },
	{ "server", "ipv6_prefix", K_UINT,
	    offsetof(struct config, ipv6_prefix), 1, 128 },
	{ "server", "idle_timeout", K_DURATION,
	    offsetof(struct config, idle_timeout_ms), 0, 7 * 24 * 3600 * SEC },
	{ "server", "send_timeout", K_DURATION,
	    offsetof(struct config, send_timeout_ms), 0, 7 * 24 * 3600 * SEC },
	{ "server", "evict_idle", K_DURATION,
	    offsetof(struct config, evict_idle_ms), 0, 7 * 24 * 3600 * SEC },
	{ "server", "buffer_size", K_SIZE,
	    offsetof(struct config, buffer_size), 64, 16 * MB },
	{ "server", "splice", K_BOOL, offsetof(struct config, splice), 0, 0 },
	{ "server", "thread_stack_size", K_SIZE,
	    offsetof(struct config, thread_stack_size), MIN_STACK, 64 * MB },
	{ "server", "shutdown_timeout", K_DURATION,
	    offsetof(struct config, shutdown_timeout_ms), 0, 3600 * SEC },
	{ "server", "reuse_port", K_BOOL,
	    offsetof(struct config, reuse_port), 0, 0 },
	{ "server", "user", K_USER, offsetof(struct config, user), 0, 0 },
	{ "server", "group", K_GROUP, offsetof(struct config, group), 0, 0 },
	{ "server", "unix_mode", K_FILE_MODE,
	    offsetof(struct config, unix_mode), 0, 0777 },
	{ "server", "unix_group", K_GID, offsetof(struct config, unix_group),
	    0, 0 },
	{ "server", "proxy_protocol", K_PROXY,
	    offsetof(struct config, proxy.versions), 0, 0 },
	{ "server", "proxy_from", K_CIDR, offsetof(struct config, proxy.from),
	    0, 0 },
	{ "server", "proxy_timeout", K_DURATION,
	    offsetof(struct config, proxy.timeout_ms), 1, 3600 * SEC },
	{ "talk", "reply", K_BOOL, offsetof(struct config, talk.reply), 0, 0 },
	{ "talk", "stop_word", K_STRING,
	    offsetof(struct config, talk.stop_word), 0, 0 },
	{ "talk", "greeting", K_STRING,
	    offsetof(struct config, talk.greeting), 0, 0 },
	{ "talk", "max_line", K_SIZE, offsetof(struct config, talk.max_line),
	    16, 1 * MB },
	{ "access", "allow", K_CIDR, offsetof(struct config, access.allow),
	    0, 0 },
	{ "access", "deny", K_CIDR, offsetof(struct config, access.deny),
	    0, 0 },
	{ "log", "level", K_LEVEL, offsetof(struct config, log.level), 0, 0 },
	{ "log", "connections", K_BOOL,
	    offsetof(struct config, log.connections), 0, 0 },
	{ "log", "talk_lines", K_UINT, offsetof(struct config, log.talk_lines),
	    0, 1000000 },
	{ "log", "talk_bytes", K_SIZE, offsetof(struct config, log.talk_bytes),
	    0, 1024 * MB },
	{ "log", "talk_lines_total", K_UINT,
	    offsetof(struct config, log.talk_lines_total), 0, 1000000 },
	{ "log", "talk_bytes_total", K_SIZE,
	    offsetof(struct config, log.talk_bytes_total), 0, 1024 * MB },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* proxy_protocol's values, by the versions they accept. */
static const char *const proxy_names[] = {
	[0] = "off",
	[PROXY_V1] = "v1",
	[PROXY_V2] = "v2",
	[PROXY_ANY] = "any",
};

static const char *const level_names[] = {
	[LEVEL_ERROR] = "error",
	[LEVEL_WARNING] = "warning",
	[LEVEL_INFO] = "info",
	[LEVEL_DEBUG] = "debug",
};

struct parse {
	FILE *fp;
	const char *name;
	unsigned lineno;	/* of the line last given to inih */
	char line[LINE_KEEP];	/* the start of that line */
	size_t total;		/* bytes read from the file */
	bool too_big;		/* past CONFIG_MAX_BYTES: stop reading */
	unsigned listen_line[CONFIG_MAX_LISTEN];	/* where each was set */
	struct config *cfg;
	bool section_known;
	unsigned seen[NKEYS];	/* line a key was first set on, or 0 */
	struct config_errors *errors;
	unsigned nerrors;	/* found, kept or not */
};

/* Not allocated, so always there to say that others could not be. */
static char oom_line[] = CONFIG_ERRORS_OOM;

void
config_errors_add(struct config_errors *e, char *line)
{
	if (line == NULL) {
		if (e->n > 0 && e->line[e->n - 1] == oom_line)
			return;
		line = oom_line;
	}
	if (e->n == CONFIG_ERRORS_MAX) {
		if (line != oom_line)
			free(line);
		return;
	}
	e->line[e->n++] = line;
}

void
config_errors_free(struct config_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->line[i] != oom_line)
			free(e->line[i]);
	e->n = 0;
}

static void
add_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_error(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->nerrors++;
	config_errors_add(p->errors, strdup(msg));
}

size_t
config_min_stack(void)
{
	long min = sysconf(_SC_THREAD_STACK_MIN);

	return min > 0 ? (size_t)min : (size_t)PTHREAD_STACK_MIN;
}

static int
level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] != NULL && strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static struct config *
config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	atomic_init(&cfg->refs, 1);
	/*
	 * Measured: with 128, a burst of 500 clients overflowed the queue
	 * while the workers kept the acceptor busy, and each dropped
	 * handshake cost its client a one-second SYN retransmission.
	 * The kernel caps it at net.core.somaxconn (4096 by default).
	 */
	cfg->backlog = 4096;
	cfg->mode = proto_default();
	cfg->max_connections = 1024;
	cfg->idle_timeout_ms = 300 * SEC;
	cfg->buffer_size = 16 * KB;
	cfg->thread_stack_size = 64 * KB;
	/*
	 * Off: in make bench, splicing took about 0.6x the server's CPU per
	 * byte but streamed 0.93x as fast as copying (one run, A/B), so it
	 * is not the default.
	 */
	cfg->splice = false;
	cfg->shutdown_timeout_ms = 10 * SEC;
	cfg->reuse_port = false;
	cfg->send_timeout_ms = 30 * SEC;
	/*
	 * Short enough that silent connections holding every slot give way
	 * to a waiting client within a few seconds (slowloris), long enough
	 * that a client between two lines of a conversation keeps its own.
	 */
	cfg->evict_idle_ms = 2 * SEC;
	cfg->max_connections_per_ip = 64;
	cfg->ipv6_prefix = 64;
	cfg->connection_rate = 0;
	cfg->proxy.versions = 0;
	/* Time enough for a proxy's header on a slow path, not to idle. */
	cfg->proxy.timeout_ms = 5 * SEC;
	/*
	 * Enough for any test of a path by hand or by a script; a forged
	 * source (a reflection attack's victim) gets no more than this.
	 */
	cfg->udp_rate = 100;
	cfg->talk.reply = true;
	cfg->talk.stop_word = strdup("STOP");
	cfg->talk.greeting = strdup("");
	cfg->user = strdup("");
	cfg->group = strdup("");
	/* Owner and group: a group for the clients, no one else. */
	cfg->unix_mode = 0660;
	cfg->unix_group = strdup("");
	cfg->unix_gid = (gid_t)-1;
	cfg->talk.max_line = 4096;
	cfg->log.level = LEVEL_INFO;
	cfg->log.connections = true;
	cfg->log.talk_lines = 100;
	cfg->log.talk_bytes = 64 * KB;
	cfg->log.talk_lines_total = 1000;
	cfg->log.talk_bytes_total = 1 * MB;
	if (cfg->talk.stop_word == NULL || cfg->talk.greeting == NULL ||
	    cfg->user == NULL || cfg->group == NULL ||
	    cfg->unix_group == NULL) {
		config_unref(cfg);
		return NULL;
	}
	return cfg;
}

static void
free_listen(struct config *cfg, size_t i)
{
	free(cfg->listen[i]);
	free(cfg->addrs[i].v);
	free(cfg->addrs[i].error);
	cfg->listen[i] = NULL;
	cfg->addrs[i] = (struct listen_addrs){ NULL, 0, NULL };
}

static void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_listen; i++)
		free_listen(cfg, i);
	free(cfg->talk.stop_word);
	free(cfg->talk.greeting);
	free(cfg->user);
	free(cfg->group);
	free(cfg->unix_group);
	free(cfg->access.allow);
	free(cfg->access.deny);
	free(cfg->proxy.from);
	free(cfg);
}

struct config *
config_ref(struct config *cfg)
{
	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

void
config_unref(struct config *cfg)
{
	if (cfg != NULL && atomic_fetch_sub(&cfg->refs, 1) == 1)
		config_free(cfg);
}

static int
add_listen(struct config *cfg, const char *spec, char *why, size_t whylen)
{
	struct listen_spec ls;
	bool fixed;
	size_t i;

	if (addr_parse(spec, &ls, why, whylen) != 0)
		return -1;
	/* Port 0 twice asks for two ports; any other repeat is a mistake. */
	fixed = ls.port != 0 || ls.kind == TRANSPORT_UNIX;
	for (i = 0; i < cfg->n_listen && fixed; i++)
		if (strcmp(cfg->listen[i], spec) == 0) {
			snprintf(why, whylen, "'%s' is listed twice", spec);
			return -1;
		}
	if (cfg->n_listen == CONFIG_MAX_LISTEN) {
		snprintf(why, whylen, "more than %d addresses",
		    CONFIG_MAX_LISTEN);
		return -1;
	}
	if ((cfg->listen[cfg->n_listen] = strdup(spec)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	cfg->n_listen++;
	return 0;
}

/*
 * Resolves cfg->listen[i] into cfg->addrs[i], or keeps why it does not
 * resolve there; -1 only when out of memory for that.
 */
static int
resolve_listen(struct config *cfg, size_t i)
{
	struct listen_addrs *a = &cfg->addrs[i];
	struct listen_spec ls;
	char why[256];

	if (addr_parse(cfg->listen[i], &ls, why, sizeof(why)) == 0 &&
	    addr_resolve(&ls, &a->v, &a->n, why, sizeof(why)) == 0)
		return 0;
	return (a->error = strdup(why)) != NULL ? 0 : -1;
}

/*
 * The listen value just added, cfg->listen[n_listen - 1], may not serve a
 * socket an earlier one serves: the second bind() would fail at start.
 * "*:7" and "7", or "localhost:7" and "127.0.0.1:7", are the same socket;
 * a TCP and a UDP value on one port are not.
 * A name that does not resolve now is left for bind time to report.
 */
static int
listen_clash(struct parse *p, char *why, size_t whylen)
{
	struct config *cfg = p->cfg;
	size_t cur = cfg->n_listen - 1, i, a, b;
	const struct listen_addrs *h = &cfg->addrs[cur], *e;
	const struct bind_addr *shown;
	char addr[ADDR_STRLEN];

	p->listen_line[cur] = p->lineno;
	if (resolve_listen(cfg, cur) != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	/* Port 0 overlaps nothing: each such value gets a port of its own. */
	for (i = 0; i < cur; i++)
		for (e = &cfg->addrs[i], a = 0; a < h->n; a++)
			for (b = 0; b < e->n; b++) {
				if (!bind_addr_overlap(&h->v[a], &e->v[b]))
					continue;
				/* Name the narrower of the two. */
				shown = addr_is_any(&h->v[a]) ? &e->v[b] :
				    &h->v[a];
				bind_addr_format(shown, addr, sizeof(addr));
				snprintf(why, whylen, "'%s' and '%s' (line %u) "
				    "both serve %s", cfg->listen[cur],
				    cfg->listen[i], p->listen_line[i], addr);
				return -1;
			}
	return 0;
}

/*
 * Where the count of a K_CIDR key's list is: access.allow's, access.deny's
 * or proxy.from's.
 */
static size_t
rules_count_at(const struct key *k)
{
	if (k->offset == offsetof(struct config, access.allow))
		return offsetof(struct config, access.n_allow);
	if (k->offset == offsetof(struct config, access.deny))
		return offsetof(struct config, access.n_deny);
	return offsetof(struct config, proxy.n_from);
}

/* Appends a CIDR block to the list of key k (allow, deny, proxy_from). */
static int
add_rule(struct config *cfg, const struct key *k, const char *value,
    char *why, size_t whylen)
{
	struct cidr **rules = (struct cidr **)(void *)((char *)cfg + k->offset);
	size_t *n = (size_t *)(void *)((char *)cfg + rules_count_at(k));
	struct cidr c, *grown;

	if (cidr_parse(value, &c, why, whylen) != 0)
		return -1;
	if (*n == CONFIG_MAX_RULES) {
		snprintf(why, whylen, "more than %d rules", CONFIG_MAX_RULES);
		return -1;
	}
	if ((grown = realloc(*rules, (*n + 1) * sizeof(**rules))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	grown[(*n)++] = c;
	*rules = grown;
	return 0;
}

/* For a value that is none of those listed in valid: -1, and why. */
static int
not_one_of(const char *value, const char *valid, char *why, size_t whylen)
{
	char esc[64];

	log_escape(esc, sizeof(esc), value, strlen(value));
	snprintf(why, whylen, "'%s' is not one of %s", esc, valid);
	return -1;
}

/* Replaces the string at field with a copy of value. */
static int
set_string(char *field, const char *value, char *why, size_t whylen)
{
	char *copy;

	if ((copy = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	free(*(char **)(void *)field);
	*(char **)(void *)field = copy;
	return 0;
}

/*
 * A group name, or else a number, as chown(1) reads one; "" is none,
 * (gid_t)-1.  A number is taken as it is: a file's group need not be in
 * the group database.
 */
static int
group_id(const char *value, gid_t *gid, char *why, size_t whylen)
{
	unsigned long long v;
	struct group *gr;
	char reason[128];

	*gid = (gid_t)-1;
	if (*value == '\0')
		return 0;
	if ((gr = getgrnam(value)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (parse_uint(value, 0, (gid_t)-2, &v, reason, sizeof(reason)) == 0) {
		*gid = (gid_t)v;
		return 0;
	}
	if (strspn(value, "0123456789") == strlen(value))
		return value_error(why, whylen, value, "is out of range (a "
		    "group number is 0 to 4294967294)");
	return value_error(why, whylen, value, "is not a known group");
}

/* Stores value into cfg for key k; on error writes the reason. */
static int
set_value(struct config *cfg, const struct key *k, const char *value,
    char *why, size_t whylen)
{
	char *field = (char *)cfg + k->offset, esc[64], names[128];
	const struct proto *proto;
	unsigned long long v, max;
	int n;

	switch (k->kind) {
	case K_LISTEN:
		return add_listen(cfg, value, why, whylen);
	case K_CIDR:
		return add_rule(cfg, k, value, why, whylen);
	case K_UINT:
		if (parse_uint(value, k->min, k->max, &v, why, whylen) != 0)
			return -1;
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case K_SIZE:
		max = k->max;
		if (parse_size(value, k->min == MIN_STACK ?
		    config_min_stack() : k->min, max, &v, why, whylen) != 0)
			return -1;
		*(size_t *)(void *)field = (size_t)v;
		return 0;
	case K_DURATION:
		return parse_duration(value, k->min, k->max,
		    (unsigned long long *)(void *)field, why, whylen);
	case K_BOOL:
		return parse_bool(value, (bool *)(void *)field, why, whylen);
	case K_FILE_MODE:
		if (parse_mode(value, k->max, &v, why, whylen) != 0)
			return -1;
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case K_GID:
		if (group_id(value, &cfg->unix_gid, why, whylen) != 0)
			return -1;
		return set_string(field, value, why, whylen);
	case K_USER:
	case K_GROUP:
		if (*value != '\0' && (k->kind == K_USER ?
		    getpwnam(value) == NULL : getgrnam(value) == NULL)) {
			log_escape(esc, sizeof(esc), value, strlen(value));
			snprintf(why, whylen, "'%s' is not a known %s", esc,
			    k->kind == K_USER ? "user" : "group");
			return -1;
		}
		/* FALLTHROUGH */
	case K_STRING:
		return set_string(field, value, why, whylen);
	case K_MODE:
		if ((proto = proto_find(value)) != NULL) {
			cfg->mode = proto;
			return 0;
		}
		proto_names(names, sizeof(names), ", ", ", ");
		return not_one_of(value, names, why, whylen);
	case K_LEVEL:
		if ((n = level_parse(value)) >= 0) {
			cfg->log.level = n;
			return 0;
		}
		return not_one_of(value, "error, warning, info, debug", why,
		    whylen);
	case K_PROXY:
		for (n = 0; n < (int)(sizeof(proxy_names) /
		    sizeof(proxy_names[0])); n++)
			if (strcmp(value, proxy_names[n]) == 0) {
				cfg->proxy.versions = (unsigned)n;
				return 0;
			}
		return not_one_of(value, "off, v1, v2, any", why, whylen);
	}
	return -1;
}

static const struct key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
section_exists(const char *section)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct key *k;
	char why[256], esc[64];
	size_t idx;

	/* The name comes from the file: escape it like any other input. */
	log_escape(esc, sizeof(esc), name, strlen(name));
	if (*section == '\0') {
		add_error(p, "%s:%u: %s: key outside any section (start with "
		    "one of " KNOWN_SECTIONS ")", p->name, p->lineno, esc);
		return 1;
	}
	if (!p->section_known)	/* already reported at its header */
		return 1;
	if ((k = find_key(section, name)) == NULL) {
		add_error(p, "%s:%u: %s: unknown key in [%s]", p->name,
		    p->lineno, esc, section);
		return 1;
	}
	idx = (size_t)(k - keys);
	if (p->seen[idx] != 0 && k->kind != K_LISTEN && k->kind != K_CIDR) {
		add_error(p, "%s:%u: %s: repeated (first set on line %u)",
		    p->name, p->lineno, esc, p->seen[idx]);
		return 1;
	}
	if (p->seen[idx] == 0)
		p->seen[idx] = p->lineno;
	if (set_value(p->cfg, k, value, why, sizeof(why)) != 0 ||
	    (k->kind == K_LISTEN && listen_clash(p, why, sizeof(why)) != 0))
		add_error(p, "%s:%u: %s: %s", p->name, p->lineno, esc, why);
	return 1;
}

/* Checks a "[section]" line; returns false on a syntax error. */
static bool
check_section(struct parse *p, const char *s)
{
	const char *close = strchr(s, ']');
	const char *after;
	char name[64], esc[96];
	size_t len;

	if (close == NULL) {
		add_error(p, "%s:%u: syntax error: '[' without ']'", p->name,
		    p->lineno);
		return false;
	}
	for (after = close + 1; *after == ' ' || *after == '\t'; after++)
		;
	if (*after != '\0' && *after != ';' && *after != '#') {
		add_error(p, "%s:%u: syntax error: text after ']'", p->name,
		    p->lineno);
		return false;
	}
	len = (size_t)(close - s - 1);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s + 1, len);
	name[len] = '\0';
	p->section_known = section_exists(name);
	if (!p->section_known) {
		log_escape(esc, sizeof(esc), name, strlen(name));
		add_error(p, "%s:%u: unknown section [%s] (known: "
		    KNOWN_SECTIONS ")", p->name, p->lineno, esc);
	}
	return true;
}

/* A key line has a name before '=' (or ':', which inih also accepts). */
static bool
check_key_line(struct parse *p, const char *s)
{
	size_t sep = strcspn(s, "=:");

	if (s[sep] != '\0' && sep > 0)
		return true;
	add_error(p, "%s:%u: syntax error: expected 'key = value', "
	    "'[section]' or a comment", p->name, p->lineno);
	return false;
}

/* Drops every error found so far: the file is too big, nothing else. */
static void
refuse_size(struct parse *p)
{
	config_errors_free(p->errors);
	p->nerrors = 0;
	add_error(p, "%s: larger than %s; stopped reading", p->name,
	    CONFIG_MAX_BYTES_TEXT);
	p->too_big = true;
}

/*
 * Reads the next line: keeps its first LINE_KEEP - 1 bytes in p->line and
 * counts the rest.  Returns its length without the LF, a CR before it and
 * (on line 1) a UTF-8 BOM; -1 at the end of the file, on a read error or
 * past CONFIG_MAX_BYTES.  *nul says whether the line has a NUL byte.
 */
static ssize_t
get_line(struct parse *p, bool *nul)
{
	size_t len = 0, kept;
	int c = EOF, last = EOF;

	*nul = false;
	while ((c = getc(p->fp)) != EOF) {
		if (++p->total > CONFIG_MAX_BYTES) {
			refuse_size(p);
			return -1;
		}
		if (c == '\n')
			break;
		if (len < LINE_KEEP - 1)
			p->line[len] = (char)c;
		*nul |= c == '\0';
		last = c;
		len++;
	}
	if (c == EOF && (ferror(p->fp) || len == 0)) {
		if (ferror(p->fp))
			add_error(p, "%s: read error: %s", p->name,
			    strerror(errno));
		return -1;
	}
	if (last == '\r')		/* CR LF: the CR is part of the line end */
		len--;
	kept = len < LINE_KEEP - 1 ? len : LINE_KEEP - 1;
	p->line[kept] = '\0';
	if (p->lineno == 0 && kept >= 3 &&
	    memcmp(p->line, "\xef\xbb\xbf", 3) == 0) {
		memmove(p->line, p->line + 3, kept - 3 + 1);
		len -= 3;
	}
	return (ssize_t)len;
}

/*
 * inih's line source (an fgets() work-alike).  It hands inih exactly one
 * line per call, so inih's line count stays true: a line that is too long
 * or malformed is reported here and replaced by an empty line.  Leading
 * blanks are removed so that indented keys are keys, not continuations.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t max = (size_t)num - 2, len;
	ssize_t n;
	const char *s;
	bool ok = true, nul;

	if (max > LINE_KEEP - 2)
		max = LINE_KEEP - 2;
	if (p->too_big || p->nerrors >= MAX_ERRORS ||
	    (n = get_line(p, &nul)) < 0)
		return NULL;
	p->lineno++;
	len = (size_t)n;
	if (nul) {
		add_error(p, "%s:%u: line contains a NUL byte", p->name,
		    p->lineno);
		ok = false;
	} else if (len > max) {
		add_error(p, "%s:%u: line too long (%zu characters; at most "
		    "%zu)", p->name, p->lineno, len, max);
		ok = false;
	} else if (strchr(p->line, '\r') != NULL) {
		add_error(p, "%s:%u: carriage return (CR) inside the line; "
		    "lines end in LF or CR LF", p->name, p->lineno);
		ok = false;
	}
	for (s = p->line; *s == ' ' || *s == '\t'; s++)
		;
	if (ok && *s == '[')
		ok = check_section(p, s);
	else if (ok && *s != '\0' && *s != ';' && *s != '#')
		ok = check_key_line(p, s);
	snprintf(str, (size_t)num, "%s\n", ok ? s : "");
	return str;
}

/*
 * With the PROXY protocol on, every client must come through a trusted
 * proxy: without proxy_from there would be none, and nobody could connect.
 */
static void
check_proxy(struct parse *p)
{
	const struct key *k = find_key("server", "proxy_protocol");
	const struct key *from = find_key("server", "proxy_from");

	/* proxy_from lines that were all bad were reported already. */
	if (p->cfg->proxy.versions == 0 || p->seen[from - keys] != 0)
		return;
	add_error(p, "%s:%u: proxy_protocol: '%s' needs proxy_from, the "
	    "addresses of the trusted proxies", p->name,
	    p->seen[k - keys], proxy_names[p->cfg->proxy.versions]);
}

static void
apply_overrides(struct config *cfg, const struct config_overrides *ov)
{
	size_t i;

	if (ov->n_listen > 0) {
		for (i = 0; i < cfg->n_listen; i++)
			free_listen(cfg, i);
		cfg->n_listen = 0;
		for (i = 0; i < ov->n_listen; i++)
			if ((cfg->listen[i] = strdup(ov->listen[i])) != NULL)
				cfg->n_listen++;
	}
	if (ov->mode != NULL)
		cfg->mode = ov->mode;
	if (ov->debug)
		cfg->log.level = LEVEL_DEBUG;
}

struct config *
config_load_stream(FILE *fp, const char *name,
    const struct config_overrides *ov, struct config_errors *errors)
{
	struct parse p;
	char why[64];
	size_t i;
	int r;

	memset(&p, 0, sizeof(p));
	memset(errors, 0, sizeof(*errors));
	p.fp = fp;
	p.name = name;
	p.errors = errors;
	p.cfg = config_new();
	if (p.cfg == NULL) {
		config_errors_add(errors, strdup("out of memory"));
		return NULL;
	}
	r = ini_parse_stream(read_line, &p, handler, &p);
	if (r > 0 && p.nerrors == 0)
		add_error(&p, "%s:%d: syntax error", name, r);
	else if (r < 0)
		add_error(&p, "%s: out of memory", name);
	if (p.nerrors < MAX_ERRORS && !p.too_big)
		check_proxy(&p);
	if (p.nerrors >= MAX_ERRORS && !p.too_big)
		add_error(&p, "%s: too many errors; stopped reading", name);
	if (p.cfg->n_listen == 0 && add_listen(p.cfg, "*:7", why,
	    sizeof(why)) != 0)
		add_error(&p, "%s: %s", name, why);
	if (p.nerrors == 0 && ov != NULL)
		apply_overrides(p.cfg, ov);
	/* The default and -l values; the file's are resolved already. */
	for (i = 0; i < p.cfg->n_listen && p.nerrors == 0; i++)
		if (p.cfg->addrs[i].v == NULL &&
		    p.cfg->addrs[i].error == NULL &&
		    resolve_listen(p.cfg, i) != 0)
			add_error(&p, "%s: out of memory", name);
	if (p.nerrors > 0) {
		config_unref(p.cfg);
		return NULL;
	}
	return p.cfg;
}

struct config *
config_load(const char *path, const struct config_overrides *ov,
    struct config_errors *errors)
{
	struct config *cfg;
	struct stat st;
	char msg[512];
	FILE *fp;

	memset(errors, 0, sizeof(*errors));
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		config_errors_add(errors, strdup(msg));
		return NULL;
	}
	/* A file known to be too big is refused without reading it. */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > CONFIG_MAX_BYTES) {
		snprintf(msg, sizeof(msg), "%s: larger than %s (%lld bytes)",
		    path, CONFIG_MAX_BYTES_TEXT, (long long)st.st_size);
		config_errors_add(errors, strdup(msg));
		fclose(fp);
		return NULL;
	}
	cfg = config_load_stream(fp, path, ov, errors);
	fclose(fp);
	return cfg;
}

/* Rules print as "allow = 10.0.0.0/8"; with none, as "; allow =". */
static void
print_rules(const struct key *k, const struct cidr *rules, size_t n,
    FILE *fp)
{
	char buf[64];
	size_t i;

	if (n == 0)
		fprintf(fp, "; %s =\n", k->name);
	for (i = 0; i < n; i++) {
		cidr_format(&rules[i], buf, sizeof(buf));
		fprintf(fp, "%s = %s\n", k->name, buf);
	}
}

static void
print_value(const struct config *cfg, const struct key *k, FILE *fp)
{
	const char *field = (const char *)cfg + k->offset, *str;
	char buf[32];
	size_t i;

	switch (k->kind) {
	case K_LISTEN:
		for (i = 0; i < cfg->n_listen; i++)
			fprintf(fp, "listen = %s\n", cfg->listen[i]);
		return;
	case K_CIDR:
		print_rules(k, *(struct cidr *const *)(const void *)field,
		    *(const size_t *)(const void *)((const char *)cfg +
		    rules_count_at(k)), fp);
		return;
	case K_UINT:
		snprintf(buf, sizeof(buf), "%u",
		    *(const unsigned *)(const void *)field);
		break;
	case K_SIZE:
		format_size(*(const size_t *)(const void *)field, buf,
		    sizeof(buf));
		break;
	case K_DURATION:
		format_duration(*(const unsigned long long *)(const void *)
		    field, buf, sizeof(buf));
		break;
	case K_BOOL:
		snprintf(buf, sizeof(buf), "%s",
		    *(const bool *)(const void *)field ? "yes" : "no");
		break;
	case K_FILE_MODE:
		snprintf(buf, sizeof(buf), "%04o",
		    *(const unsigned *)(const void *)field);
		break;
	case K_STRING:
	case K_USER:
	case K_GROUP:
	case K_GID:
		str = *(char *const *)(const void *)field;
		/* " ;" would start a comment: keep a leading ';' a value. */
		fprintf(fp, "%s =%s%s\n", k->name, *str == ';' ? "" : " ",
		    str);
		return;
	case K_MODE:
		snprintf(buf, sizeof(buf), "%s", cfg->mode->name);
		break;
	case K_LEVEL:
		snprintf(buf, sizeof(buf), "%s", level_names[cfg->log.level]);
		break;
	case K_PROXY:
		snprintf(buf, sizeof(buf), "%s",
		    proxy_names[cfg->proxy.versions]);
		break;
	}
	fprintf(fp, "%s = %s\n", k->name, buf);
}

void
config_print(const struct config *cfg, FILE *fp)
{
	const char *section = "";
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(fp, "%s[%s]\n", i == 0 ? "" : "\n", section);
		}
		print_value(cfg, &keys[i], fp);
	}
}
