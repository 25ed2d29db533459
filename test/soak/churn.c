/*
 * churn: a load client for echod's soak test.  Opens many short echo
 * sessions from several threads (connect, send, half-close, read the echo
 * back to end of file, compare, close), or pushes a large amount of data
 * through a few long connections, checking every byte that comes back.
 *
 *   churn -p PORT -c CONNECTIONS [-t THREADS] [-s BYTES] [-T SECONDS]
 *   churn -p PORT -b TOTAL_BYTES [-t THREADS] [-T SECONDS]
 *
 * Loopback only.  Prints what it did; exits 1 on any mismatch or error,
 * 2 when the time limit ran out first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct job {
	unsigned short port;
	unsigned long long count;	/* sessions, or bytes in bulk mode */
	size_t size;			/* bytes per session */
	double deadline;
	int id;
};

static atomic_ullong done_sessions, done_bytes;
static atomic_int failed, timed_out;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
dial(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A byte pattern that differs by position and by session. */
static unsigned char
pattern(unsigned long long pos, unsigned long long seed)
{
	return (unsigned char)((pos * 131 + seed * 7 + (pos >> 9)) & 0xff);
}

/*
 * Sends total bytes of the pattern and reads as many back, in step, so
 * neither side's buffers fill; checks every byte.  Returns 0 or -1.
 */
static int
exchange(int fd, unsigned long long total, unsigned long long seed,
    double deadline)
{
	unsigned char out[16384], in[16384];
	unsigned long long sent = 0, got = 0, i;
	struct pollfd pfd = { .fd = fd };
	size_t n;
	ssize_t r;

	while (got < total) {
		if (now() > deadline) {
			atomic_store(&timed_out, 1);
			return -1;
		}
		pfd.events = POLLIN | (sent < total ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -1;
		if ((pfd.revents & POLLOUT) && sent < total) {
			n = total - sent < sizeof(out) ? (size_t)(total - sent) :
			    sizeof(out);
			for (i = 0; i < n; i++)
				out[i] = pattern(sent + i, seed);
			r = send(fd, out, n, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (r > 0)
				sent += (unsigned long long)r;
			if (sent == total && shutdown(fd, SHUT_WR) != 0)
				return -1;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = recv(fd, in, sizeof(in), 0);
			if (r <= 0)
				return -1;	/* early EOF or error */
			for (i = 0; i < (unsigned long long)r; i++)
				if (in[i] != pattern(got + i, seed))
					return -1;
			got += (unsigned long long)r;
			atomic_fetch_add(&done_bytes, (unsigned long long)r);
		}
	}
	/* After the half-close, echod must close too: end of file. */
	return recv(fd, in, 1, 0) == 0 ? 0 : -1;
}

static void *
churn(void *arg)
{
	const struct job *j = arg;
	unsigned long long k;
	int fd;

	for (k = 0; k < j->count && !atomic_load(&failed); k++) {
		fd = dial(j->port);
		if (fd < 0 || exchange(fd, j->size, k * 64 + (unsigned)j->id,
		    j->deadline) != 0) {
			if (!atomic_load(&timed_out))
				fprintf(stderr, "churn: session %llu of thread "
				    "%d failed: %s\n", k, j->id, strerror(errno));
			atomic_store(&failed, 1);
		}
		if (fd >= 0)
			close(fd);
		atomic_fetch_add(&done_sessions, 1);
	}
	return NULL;
}

static void *
bulk(void *arg)
{
	const struct job *j = arg;
	int fd = dial(j->port);

	if (fd < 0 || exchange(fd, j->count, (unsigned)j->id, j->deadline)) {
		if (!atomic_load(&timed_out))
			fprintf(stderr, "churn: bulk connection %d failed\n",
			    j->id);
		atomic_store(&failed, 1);
	}
	if (fd >= 0)
		close(fd);
	atomic_fetch_add(&done_sessions, 1);
	return NULL;
}

static unsigned long long
number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "churn: %s: '%s' is not a number\n", what, s);
		exit(64);
	}
	return v;
}

int
main(int argc, char **argv)
{
	unsigned long long conns = 0, bytes = 0, threads = 8, size = 100;
	double seconds = 600, t0;
	struct job jobs[64];
	pthread_t tids[64];
	unsigned port = 0;
	int ch, i;

	while ((ch = getopt(argc, argv, "p:c:b:t:s:T:")) != -1) {
		switch (ch) {
		case 'p': port = (unsigned)number(optarg, "-p"); break;
		case 'c': conns = number(optarg, "-c"); break;
		case 'b': bytes = number(optarg, "-b"); break;
		case 't': threads = number(optarg, "-t"); break;
		case 's': size = number(optarg, "-s"); break;
		case 'T': seconds = (double)number(optarg, "-T"); break;
		default:
			fprintf(stderr, "usage: churn -p PORT (-c N [-s BYTES] "
			    "| -b BYTES) [-t THREADS] [-T SECONDS]\n");
			return 64;
		}
	}
	if (port == 0 || port > 65535 || threads == 0 || threads > 64 ||
	    (conns == 0) == (bytes == 0)) {
		fprintf(stderr, "churn: need -p PORT, one of -c or -b, and "
		    "1 to 64 threads\n");
		return 64;
	}
	t0 = now();
	for (i = 0; i < (int)threads; i++) {
		jobs[i] = (struct job){ .port = (unsigned short)port,
		    .size = size, .deadline = t0 + seconds, .id = i };
		jobs[i].count = conns ? conns / threads +
		    ((unsigned long long)i < conns % threads) :
		    bytes / threads + ((unsigned long long)i < bytes % threads);
		if (pthread_create(&tids[i], NULL, conns ? churn : bulk,
		    &jobs[i]) != 0) {
			fprintf(stderr, "churn: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < (int)threads; i++)
		pthread_join(tids[i], NULL);
	printf("churn: %llu sessions, %llu bytes echoed and checked in %.1f "
	    "s\n", atomic_load(&done_sessions), atomic_load(&done_bytes),
	    now() - t0);
	if (atomic_load(&timed_out)) {
		fprintf(stderr, "churn: time limit of %.0f s reached\n",
		    seconds);
		return 2;
	}
	return atomic_load(&failed) ? 1 : 0;
}
