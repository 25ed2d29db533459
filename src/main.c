/*
 * echod: an echo and talk daemon, one thread per connection (and one per
 * UDP socket).
 *
 * The life of the daemon, in order: parse the command line, load the
 * configuration, open the listening sockets (or take them from systemd),
 * drop root, tell the service manager it is ready, accept connections
 * until told to stop, let the open ones drain, exit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "priv.h"
#include "proto.h"
#include "rlimits.h"
#include "server.h"
#include "stats.h"

#ifndef ECHOD_VERSION
#define ECHOD_VERSION "0.0"
#endif

/* sysexits(3) */
#define EX_OK		0
#define EX_USAGE	64
#define EX_OSERR	71
#define EX_CONFIG	78

struct options {
	const char *config_path;
	struct config_overrides ov;
	bool check;		/* -t */
	bool print;		/* -T */
};

static void
usage(FILE *fp)
{
	char modes[128];

	proto_names(modes, sizeof(modes), ", ", " or ");
	fprintf(fp,
	    "usage: echod [-c FILE] [-l ADDR]... [-m MODE] [-t] [-T] [-d] "
	    "[-h] [-V]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -l ADDR  listen on ADDR (HOST:PORT, [V6ADDR]:PORT, *:PORT, "
	    "unix:/PATH)\n"
	    "           instead of the configured addresses; repeatable\n"
	    "  -m MODE  protocol: %s\n"
	    "  -t       check the configuration and exit\n"
	    "  -T       check and print the effective configuration\n"
	    "  -d       debug logging\n"
	    "  -h       this help\n"
	    "  -V       version\n", DEFAULT_CONFIG_PATH, modes);
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	struct listen_spec ls;
	char why[256];
	int ch;

	o->config_path = DEFAULT_CONFIG_PATH;
	while ((ch = getopt(argc, argv, "c:l:m:tTdhV")) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'l':
			if (addr_parse(optarg, &ls, why, sizeof(why)) != 0) {
				fprintf(stderr, "echod: -l %s\n", why);
				exit(EX_USAGE);
			}
			if (o->ov.n_listen == CONFIG_MAX_LISTEN) {
				fprintf(stderr, "echod: -l: more than %d "
				    "addresses\n", CONFIG_MAX_LISTEN);
				exit(EX_USAGE);
			}
			o->ov.listen[o->ov.n_listen++] = optarg;
			break;
		case 'm':
			if ((o->ov.mode = proto_find(optarg)) == NULL) {
				proto_names(why, sizeof(why), ", ", " or ");
				fprintf(stderr, "echod: -m: '%s' is not %s\n",
				    optarg, why);
				exit(EX_USAGE);
			}
			break;
		case 't':
			o->check = true;
			break;
		case 'T':
			o->print = true;
			break;
		case 'd':
			o->ov.debug = true;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V':
			printf("echod %s\n", ECHOD_VERSION);
			exit(EX_OK);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "echod: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		exit(EX_USAGE);
	}
}

/*
 * What starts a message of -t/-T: "echod: ", or, when stderr is the
 * journal (ExecReload= runs "echod -t" there), the priority prefix given,
 * so that journald files an error as one (and names echod itself).
 */
static const char *
plain_prefix(const char *journal_prefix)
{
	return log_stderr_is_journal() ? journal_prefix : "echod: ";
}

/* Prints every error line; plain for -t/-T, through the log otherwise. */
static void
report(const struct config_errors *errors, bool plain)
{
	size_t i;

	for (i = 0; i < errors->n; i++)
		if (plain)
			fprintf(stderr, "%s%s\n", plain_prefix("<3>"),
			    errors->line[i]);
		else
			log_error("%s", errors->line[i]);
}

static struct config *
load_config(const struct options *o)
{
	struct config_errors errors;
	struct config *cfg;

	cfg = config_load(o->config_path, &o->ov, &errors);
	if (cfg == NULL) {
		report(&errors, o->check || o->print);
		config_errors_free(&errors);
		exit(EX_CONFIG);
	}
	return cfg;
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct server s;
	struct config *cfg;
	int rc;

	parse_args(argc, argv, &o);
	log_init();
	cfg = load_config(&o);
	if (o.print)
		config_print(cfg, stdout);
	if (o.check || o.print) {
		if (o.check && !o.print)
			fprintf(stderr, "%s%s: configuration OK\n",
			    plain_prefix("<6>"), o.config_path);
		config_unref(cfg);
		return EX_OK;
	}
	log_set_level((enum log_level)cfg->log.level);
	if (priv_check(cfg) != 0) {
		config_unref(cfg);
		return EX_CONFIG;
	}
	limits_raise();

	if (server_init(&s, o.config_path, &o.ov, cfg) != 0) {
		config_unref(cfg);
		return EX_OSERR;
	}
	if (server_listen(&s) != 0 || priv_drop(cfg) != 0) {
		server_free(&s);
		return EX_OSERR;
	}
	limits_check(cfg);
	server_ready(&s);
	log_info("echod %s serving %s, up to %u connections", ECHOD_VERSION,
	    cfg->mode->name, cfg->max_connections);

	rc = server_run(&s);
	/* Workers still running (after a second signal) use the server. */
	if (atomic_load(&stats.active) == 0)
		server_free(&s);
	return rc;
}
