/*
 * epoll_echo: a minimal single-threaded epoll echo server, a yardstick for
 * echod's benchmark (make bench).  Non-blocking sockets, level-triggered
 * epoll, one shared 16 KiB read buffer.  What send() does not take is
 * kept, sent on EPOLLOUT, and the connection is not read again until it
 * has gone, so each connection holds at most one buffer's worth.
 *
 *   epoll_echo [PORT]   listens on 127.0.0.1:PORT (0, the default: a
 *                       free port), prints the port on stdout, serves
 *                       until killed
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yardstick.h"

struct conn {
	int fd;
	size_t len;		/* bytes owed, at the start of pend */
	char *pend;
};

static int ep;
static char buf[16384];

static void
drop(struct conn *c)
{
	close(c->fd);
	free(c->pend);
	free(c);
}

static void
want(struct conn *c, unsigned events)
{
	struct epoll_event e = { .events = events, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0) {
		fprintf(stderr, "epoll_echo: epoll_ctl: %s\n", strerror(errno));
		exit(71);
	}
}

/* Sends p[0..n); keeps what does not go.  -1: the connection is gone. */
static int
push(struct conn *c, const char *p, size_t n)
{
	ssize_t r = 0;

	while (n > 0) {
		r = send(c->fd, p, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	if (n == 0)
		return 0;
	if (c->pend == NULL && (c->pend = malloc(sizeof(buf))) == NULL)
		return -1;
	if (p != c->pend)
		memmove(c->pend, p, n);
	c->len = n;
	want(c, EPOLLOUT);
	return 0;
}

static void
serve(struct conn *c, unsigned events)
{
	ssize_t n;

	if (c->len > 0) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		n = (ssize_t)c->len;
		c->len = 0;
		if (push(c, c->pend, (size_t)n) != 0)
			drop(c);
		else if (c->len == 0)
			want(c, EPOLLIN);
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0 || push(c, buf, (size_t)n) != 0)
		drop(c);
}

static void
accept_all(int lfd)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct conn *c;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors or memory: let some go. */
			fprintf(stderr, "epoll_echo: accept: %s\n",
			    strerror(errno));
			poll(NULL, 0, 10);
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		e.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) {
			fprintf(stderr, "epoll_echo: epoll_ctl: %s\n",
			    strerror(errno));
			drop(c);
		}
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL }, ev[256];
	int lfd, n, i;

	lfd = yardstick_listen("epoll_echo", argc, argv, SOCK_NONBLOCK);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) != 0) {
		fprintf(stderr, "epoll_echo: epoll: %s\n", strerror(errno));
		return 71;
	}
	for (;;) {
		if ((n = epoll_wait(ep, ev, 256, -1)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "epoll_echo: epoll_wait: %s\n",
			    strerror(errno));
			return 71;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				accept_all(lfd);
			else
				serve(ev[i].data.ptr, ev[i].events);
		}
	}
}
