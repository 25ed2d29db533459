/*
 * naive: the plainest thread-per-connection echo server, a yardstick for
 * echod's benchmark (make bench).  A detached thread for every accepted
 * connection, created with the default thread attributes (so with the
 * default stack, 8 MiB on Debian), a 16 KiB buffer on that stack, and a
 * recv()/send()-all loop.  No limits and no timeouts: what echod adds to
 * this is what the benchmark compares.
 *
 *   naive [PORT]   listens on 127.0.0.1:PORT (0, the default: a free
 *                  port), prints the port on stdout, serves until killed
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yardstick.h"

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = send(fd, p, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *
worker(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || send_all(fd, buf, (size_t)n) != 0)
			break;
	}
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	int lfd, fd, err;

	lfd = yardstick_listen("naive", argc, argv, 0);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors or memory: let some go. */
			fprintf(stderr, "naive: accept: %s\n", strerror(errno));
			poll(NULL, 0, 10);
			continue;
		}
		err = pthread_create(&t, NULL, worker, (void *)(intptr_t)fd);
		if (err != 0) {
			fprintf(stderr, "naive: pthread_create: %s\n",
			    strerror(err));
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}
