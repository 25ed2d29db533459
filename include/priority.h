/*
 * How a connection's thread is scheduled against the main thread, which
 * must keep accepting however busy the connections are.
 */
#ifndef ECHOD_PRIORITY_H
#define ECHOD_PRIORITY_H

/* On a worker's start: SCHED_BATCH.  Failures are logged (debug). */
void priority_worker_start(const char *peer);

/* Once its client came back for more: nice PRIORITY_BUSY_NICE. */
void priority_worker_busy(const char *peer);

#define PRIORITY_BUSY_NICE 19
/* The receive that shows a busy client: its second. */
#define PRIORITY_BUSY_READS 2

#endif
