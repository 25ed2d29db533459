/* Descriptor and task limits, measured against max_connections. */
#ifndef ECHOD_RLIMITS_H
#define ECHOD_RLIMITS_H

struct config;

/* Raises the soft RLIMIT_NOFILE to the hard limit. */
void limits_raise(void);

/*
 * Each connection costs one descriptor and one thread: warns when
 * max_connections cannot fit in RLIMIT_NOFILE, RLIMIT_NPROC or the
 * cgroup's pids.max as this process sees them.
 */
void limits_check(const struct config *cfg);

#endif
