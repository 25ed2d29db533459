/* Helpers shared by the unit test groups. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "config.h"

/* Runs fn with stderr on a pipe; returns what it wrote (static). */
const char *
capture_stderr(void (*fn)(void))
{
	static char out[1024];
	int p[2], saved;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(p[1], 2) == 2);
	close(p[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	n = read(p[0], out, sizeof(out) - 1);
	if (n < 0 && errno == EAGAIN)
		n = 0;
	close(p[0]);
	assert_true(n >= 0);
	out[n] = '\0';
	return out;
}

unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

FILE *
read_only_stream(const void *bytes, size_t n)
{
	/* fmemopen takes void * for every mode; in "r" it only reads. */
	return fmemopen((void *)(uintptr_t)bytes, n, "r");
}

struct config *
config_of_text(const char *text)
{
	FILE *fp = read_only_stream(text, strlen(text));
	struct config_errors errors;
	struct config *cfg;

	assert_non_null(fp);
	cfg = config_load_stream(fp, "test.conf", NULL, &errors);
	fclose(fp);
	if (cfg == NULL)
		fail_msg("config: %s", errors.line[0]);
	config_errors_free(&errors);
	return cfg;
}
