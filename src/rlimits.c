/* Checks that max_connections fits in what the system will give us. */
#include "rlimits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* Descriptors not used by connections: stdio, signalfd, eventfd, ... */
#define FD_OVERHEAD 16

void
limits_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warning("getrlimit RLIMIT_NOFILE: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warning("cannot raise RLIMIT_NOFILE to %llu: %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
}

/* pids.max of this process's cgroup (v1 "N:pids:PATH" or v2 "0::PATH"). */
static unsigned long long
cgroup_pids_max(void)
{
	char line[512], path[600] = "", value[32];
	unsigned long long max = 0;
	const char *p;
	FILE *fp;

	if ((fp = fopen("/proc/self/cgroup", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((p = strstr(line, ":pids:/")) != NULL) {
			snprintf(path, sizeof(path),
			    "/sys/fs/cgroup/pids%s/pids.max", p + 6);
			break;
		}
		if (strncmp(line, "0::/", 4) == 0)
			snprintf(path, sizeof(path),
			    "/sys/fs/cgroup%s/pids.max", line + 3);
	}
	fclose(fp);
	if (path[0] == '\0' || (fp = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(value, sizeof(value), fp) != NULL && value[0] != 'm')
		max = strtoull(value, NULL, 10);
	fclose(fp);
	return max;
}

static void
check(const char *what, unsigned long long limit, unsigned long long need,
    const struct config *cfg)
{
	if (limit == 0 || limit == (unsigned long long)RLIM_INFINITY ||
	    limit >= need)
		return;
	log_warning("max_connections = %u needs about %llu %s, but the limit "
	    "is %llu: raise it, or lower max_connections", cfg->max_connections,
	    need, what, limit);
}

void
limits_check(const struct config *cfg)
{
	unsigned long long conns = cfg->max_connections;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		check("descriptors (RLIMIT_NOFILE)", rl.rlim_cur,
		    conns + FD_OVERHEAD, cfg);
	/* RLIMIT_NPROC counts every task of the user; root is exempt. */
	if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0)
		check("tasks (RLIMIT_NPROC)", rl.rlim_cur, conns + 1, cfg);
	check("tasks (cgroup pids.max)", cgroup_pids_max(), conns + 1, cfg);
}
