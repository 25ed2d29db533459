/*
 * libFuzzer target: the whole input is a configuration file, read through
 * config_load_stream() (echod's line reader, inih, the key handler and the
 * value parsers).  Besides the sanitizers, it checks what config.h promises:
 * a config or error lines, never both; every error line starts with the
 * file name and has no '\n'; a loaded config has its values in range.
 * config_print() (echod -T) then writes it out.  Keys user and group make
 * it call getpwnam() and getgrnam(); listen values are resolved to check
 * that no two mean one socket, numeric addresses only in a fuzz build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "proto.h"

#define NAME "fuzz.conf"

static void
check_errors(const struct config_errors *errors)
{
	const char *line;
	size_t i;

	CHECK(errors->n > 0, "a failure says why");
	for (i = 0; i < errors->n; i++) {
		line = errors->line[i];
		CHECK(strchr(line, '\n') == NULL, "an error is one line");
		/* Or the line standing for those there was no memory for. */
		CHECK(strncmp(line, NAME ":", strlen(NAME ":")) == 0 ||
		    strcmp(line, CONFIG_ERRORS_OOM) == 0,
		    "every error line starts with the file name");
	}
}

/* The ranges of config.c's key table; the defaults are in range too. */
static void
check_config(const struct config *cfg)
{
	size_t i;

	CHECK(cfg->n_listen >= 1 && cfg->n_listen <= CONFIG_MAX_LISTEN,
	    "1 to 64 listen addresses");
	for (i = 0; i < cfg->n_listen; i++) {
		CHECK(cfg->listen[i] != NULL, "listen addresses are set");
		CHECK((cfg->addrs[i].v != NULL && cfg->addrs[i].n > 0 &&
		    cfg->addrs[i].error == NULL) || (cfg->addrs[i].v == NULL &&
		    cfg->addrs[i].error != NULL), "each listen value is "
		    "resolved, or says why not");
	}
	CHECK(cfg->backlog >= 1 && cfg->backlog <= 65535, "backlog range");
	CHECK(cfg->max_connections >= 1 && cfg->max_connections <= 1000000,
	    "max_connections range");
	CHECK(cfg->ipv6_prefix >= 1 && cfg->ipv6_prefix <= 128,
	    "ipv6_prefix range");
	CHECK(cfg->buffer_size >= 64 && cfg->buffer_size <= 16u << 20,
	    "buffer_size range");
	CHECK(cfg->talk.max_line >= 16 && cfg->talk.max_line <= 1u << 20,
	    "max_line range");
	CHECK(cfg->thread_stack_size >= config_min_stack() &&
	    cfg->thread_stack_size <= 64u << 20, "thread_stack_size range");
	CHECK(cfg->idle_timeout_ms <= 7ULL * 24 * 3600 * 1000 &&
	    cfg->send_timeout_ms <= 7ULL * 24 * 3600 * 1000 &&
	    cfg->shutdown_timeout_ms <= 3600ULL * 1000, "timeout ranges");
	CHECK(cfg->mode != NULL && proto_find(cfg->mode->name) == cfg->mode,
	    "mode");
	CHECK(cfg->log.level == LEVEL_ERROR || cfg->log.level ==
	    LEVEL_WARNING || cfg->log.level == LEVEL_INFO ||
	    cfg->log.level == LEVEL_DEBUG, "log level");
	CHECK(cfg->access.n_allow <= CONFIG_MAX_RULES &&
	    cfg->access.n_deny <= CONFIG_MAX_RULES, "rule counts");
	for (i = 0; i < cfg->access.n_allow; i++)
		CHECK(cfg->access.allow[i].prefix <= 128, "allow prefix");
	for (i = 0; i < cfg->access.n_deny; i++)
		CHECK(cfg->access.deny[i].prefix <= 128, "deny prefix");
	CHECK(cfg->talk.stop_word != NULL && cfg->talk.greeting != NULL &&
	    cfg->user != NULL && cfg->group != NULL, "strings are set");
}

/* echod -T: the effective configuration in INI form. */
static void
check_print(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		return;
	config_print(cfg, fp);
	if (fclose(fp) == 0)
		CHECK(len == strlen(text) && strncmp(text, "[server]\n", 9) == 0
		    && strstr(text, "\n[log]\n") != NULL,
		    "config_print writes every section");
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errors;
	struct config *cfg;
	char *copy;
	FILE *fp;

	/* An exact-size copy: ASan sees any read past the file's end. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	fp = fmemopen(copy, size, "r");		/* glibc takes size 0 too */
	if (fp == NULL) {
		free(copy);
		return 0;
	}
	cfg = config_load_stream(fp, NAME, NULL, &errors);
	fclose(fp);
	free(copy);
	if (cfg != NULL) {
		CHECK(errors.n == 0, "a config comes without errors");
		check_config(cfg);
		check_print(cfg);
		config_unref(cfg);
	} else
		check_errors(&errors);
	config_errors_free(&errors);
	return 0;
}
