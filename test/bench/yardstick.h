/*
 * What the benchmark's two C yardsticks share: the listening socket on
 * 127.0.0.1 with echod's default backlog (128), its port printed on one
 * line of stdout, and the descriptor limit raised to the hard limit.
 */
#ifndef YARDSTICK_H
#define YARDSTICK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define YARDSTICK_BACKLOG 128

static int
yardstick_listen(const char *name, int argc, char **argv, int flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	unsigned long port = 0;
	struct rlimit rl;
	char *end;
	int fd, one = 1;

	if (argc > 2 || (argc == 2 && (port = strtoul(argv[1], &end, 10),
	    *argv[1] == '\0' || *end != '\0' || port > 65535))) {
		fprintf(stderr, "usage: %s [PORT]   (0, the default: any free "
		    "port)\n", name);
		exit(64);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, YARDSTICK_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		fprintf(stderr, "%s: 127.0.0.1:%lu: %s\n", name, port,
		    strerror(errno));
		exit(71);
	}
	printf("%u\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}

#endif
