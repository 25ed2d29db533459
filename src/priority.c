/*
 * Workers run as SCHED_BATCH: a worker woken by its client's bytes does
 * not preempt the one running, so each runs until it blocks, fewer
 * switches are made, and none pays for the others' cache misses.
 *
 * A busy worker also runs at nice 19, behind the main thread.  The
 * kernel's fair scheduler (EEVDF) makes a thread that ran beyond its
 * share wait until the others catch up: up to one tick (4 ms at HZ=250)
 * times the runnable threads' total weight over its own.  Accepting a
 * burst of clients is such a run, so at equal weight, behind 500 busy
 * workers, the main thread waited up to 2 s before it accepted the next
 * client (make bench, pingpong-500).  Weighed 68 times a worker (1024
 * against 15), it waits about 4 ms times 1 + 500/68, some 33 ms, and its
 * own work for a burst (some 60 us a client: accept, clone, the stack's
 * mmap) gets an eighth of the CPU instead of a 500th: the slowest first
 * reply went from 2.05 s to 0.14 s.
 *
 * Only a busy worker: one whose client came back for a second read.  A
 * client that sends once and leaves (make bench, churn) is served at the
 * main thread's weight, as the main thread is busy accepting the next:
 * at nice 19 from the start, it waited behind the main thread, and churn
 * lost a fifth of its connections a second and tripled its p99.
 *
 * Workers weigh the same as each other, so they share the CPU as before;
 * under systemd (a cgroup of its own) and in a terminal (autogroup) this
 * only divides echod's own share of the machine.  Raising one's own nice
 * value needs no privilege; Linux keeps it per thread.
 */
#include "priority.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"

void
priority_worker_start(const char *peer)
{
	static const struct sched_param sp = { .sched_priority = 0 };
	int err = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);

	if (err != 0)
		log_debug("%s: cannot run as SCHED_BATCH: %s", peer,
		    strerror(err));
}

void
priority_worker_busy(const char *peer)
{
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), PRIORITY_BUSY_NICE) != 0)
		log_debug("%s: cannot run at nice %d: %s", peer,
		    PRIORITY_BUSY_NICE, strerror(errno));
}
