/*
 * loadgen: the load generator of echod's benchmark (make bench).
 *
 * One process, one epoll loop, non-blocking sockets.  Each connection
 * sends a pseudo-random byte stream of its own, a function of its serial
 * number and the byte's position, and every byte that comes back is
 * compared with the one sent at that position: a server that loses,
 * adds, reorders or alters a byte is caught.  Every run ends by itself:
 * after its duration (or count), every operation bounded by a timeout.
 *
 * Prints one line of key=value pairs on stdout and a summary on stderr;
 * exits 1 when any error was counted.  See usage() for the scenarios.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE	64		/* pingpong, churn and hold messages */
#define CHUNK		(64 * 1024)	/* stream writes */
#define RBUF		(256 * 1024)	/* reads */
#define MAX_SHOWN	10		/* errors described on stderr */
#define NEVENTS		512
#define TICK_NS		(50 * 1000000LL)	/* timeouts, /proc samples */
#define SEC_NS		1000000000LL

enum scenario { STREAM, PINGPONG, CHURN, HOLD };
static const char *const scenario_names[] = {
	"stream", "pingpong", "churn", "hold"
};

enum err { E_CONNECT, E_RESET, E_EOF, E_MISMATCH, E_TIMEOUT, E_OTHER,
	E_KINDS };
static const char *const err_names[] = {
	"connect", "reset", "eof", "mismatch", "timeout", "other"
};

/*
 * FREE: no socket.  CONNECTING: connect() in progress.  BUSY: a message
 * (or the stream) is on its way.  IDLE: hold, waiting for its next turn.
 * DRAIN: stream, half-closed, reading the rest and the end of file.
 */
enum state { FREE, CONNECTING, BUSY, IDLE, DRAIN };

struct conn {
	uint64_t seed;
	uint64_t sent, got;	/* positions in the connection's stream */
	uint64_t target;	/* where the message on its way ends */
	int64_t t_msg;		/* its start: connect() for the first one */
	int64_t t_prog;		/* last progress, for the timeout */
	uint32_t serial;	/* tags epoll events: slots are reused */
	int fd;
	unsigned ev;		/* registered epoll events */
	unsigned char state;
	unsigned char first;	/* its first message is on its way */
};

/* Latencies in ns, log-linear buckets: exact below 128, then 1/64. */
#define HBUCKETS (128 + 57 * 64)
struct hist {
	uint64_t n, max;
	uint64_t b[HBUCKETS];
};

struct srvstat {
	long rss_kb, hwm_kb, threads;
};

struct meminfo {
	long avail, kstack, slab, pt;	/* kB */
};

static struct {
	/* settings */
	enum scenario scen;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *host;
	unsigned port;
	unsigned long conns, naddrs, ramp;
	uint64_t count;
	int64_t duration, timeout;
	pid_t pid;

	/* state */
	struct conn *c;
	int ep;
	int64_t t_start, t_end, t_hard, t_last, t_hold, t_hold_end;
	int64_t t_tick;
	uint32_t serials;
	unsigned long active, busy, pending, next_open;
	unsigned long held;	/* hold: connections open when all were */
	int phase;		/* hold: 0 ramp, 1 hold, 2 end */
	int quiet;		/* hold: silent after the first message */
	int done;
	uint64_t hold_j;	/* hold: next turn in the schedule */

	/* results */
	uint64_t bytes, msgs, sends, served, opened, late;
	uint64_t err[E_KINDS], shown;
	int64_t first_max;
	int64_t connect_max;	/* the slowest handshake: the kernel's part */
	struct hist lat;
	struct srvstat s0, s1, speak;
	struct meminfo m0, m1;
	int have_s0, have_s1, have_peak, have_m;
} R;

static unsigned char sbuf[CHUNK], rbuf[RBUF], ebuf[RBUF];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
"usage: loadgen -s SCENARIO [-H HOST] [-p PORT] [-c CONNS] [-d SECONDS]\n"
"               [-n COUNT] [-t SECONDS] [-a ADDRS] [-r RAMP] [-P PID]\n"
"scenarios (defaults in brackets):\n"
"  stream    CONNS [1] connections write 64 KiB chunks and read the echo\n"
"            back; MB/s\n"
"  pingpong  CONNS [1] connections each send 64 B and wait for the echo,\n"
"            again and again; msgs/s and latency, the first message timed\n"
"            from the start of connect()\n"
"  churn     CONNS [16] at a time: connect, send 64 B, read the echo,\n"
"            close; connections/s and latency\n"
"  hold      ramp up to CONNS [1000], RAMP at a time, then each sends 64 B\n"
"            once a second for SECONDS; latency, and memory with -P\n"
"options:\n"
"  -H, --host HOST      server address [127.0.0.1]\n"
"  -p, --port PORT      server port [7007]\n"
"  -d, --duration SECS  run time [2; hold: 10, after the ramp]\n"
"  -n, --count N        stop after N bytes (stream), messages (pingpong,\n"
"                       hold) or connections (churn) [0: no limit]\n"
"  -t, --timeout SECS   a connect or an echo not done in this long is an\n"
"                       error [10]\n"
"  -a, --addrs N        connect from 127.0.0.1 .. 127.0.0.N [8 to a\n"
"                       127.x.x.x host, else 1]\n"
"  -r, --ramp N         hold: connections being set up at once [64]\n"
"  -q, --quiet          hold: after its first message a connection stays\n"
"                       silent (slowloris)\n"
"  -P, --pid PID        the server's process: its peak RSS and threads;\n"
"                       hold: memory per connection\n"
"Prints one line of key=value pairs on stdout, a summary on stderr.\n"
"Exit status: 0 no error, 1 errors counted, 64 usage, 71 system error.\n");
	exit(64);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * SEC_NS + t.tv_nsec;
}

/* --- the byte pattern ---------------------------------------------------- */

/* A 64-bit mixer (splitmix64's finaliser): no period that matters here. */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Stream `seed` is made of 4 KiB blocks, each a fixed random table of
 * 512 words XORed with a word of its own, mixed from the seed and the
 * block's number: cheap enough (a load and an XOR a word) that checking
 * every byte does not slow the load, and no two positions of a block,
 * no two blocks and no two streams alike.
 */
#define TWORDS 512
static uint64_t table[TWORDS];

static void
pattern_init(void)
{
	size_t i;

	for (i = 0; i < TWORDS; i++)
		table[i] = mix(i + 0x6a09e667f3bcc909ULL);
}

/* The n bytes of stream `seed` from position pos. */
static void
pattern(uint64_t seed, uint64_t pos, unsigned char *buf, size_t n)
{
	uint64_t w, k = 0, blk = UINT64_MAX, x;
	unsigned char b[8];
	size_t i, j, words, off, m;

	while (n > 0) {
		w = pos >> 3;
		if (w / TWORDS != blk) {
			blk = w / TWORDS;
			k = mix(seed + blk * 0x9e3779b97f4a7c15ULL);
		}
		j = (size_t)(w % TWORDS);
		if ((pos & 7) == 0 && n >= 8) {
			/* Whole words, to the end of the block. */
			words = TWORDS - j < n / 8 ? TWORDS - j : n / 8;
			for (i = 0; i < words; i++) {
				x = k ^ table[j + i];
				memcpy(buf + 8 * i, &x, 8);
			}
			buf += 8 * words;
			pos += 8 * words;
			n -= 8 * words;
			continue;
		}
		x = k ^ table[j];
		memcpy(b, &x, sizeof(b));
		off = (size_t)(pos & 7);
		m = 8 - off < n ? 8 - off : n;
		memcpy(buf, b + off, m);
		buf += m;
		pos += m;
		n -= m;
	}
}

/* --- latency histogram --------------------------------------------------- */

static size_t
hbucket(uint64_t v)
{
	int msb;

	if (v < 128)
		return (size_t)v;
	msb = 63 - __builtin_clzll(v);
	return 128 + (size_t)(msb - 7) * 64 + (size_t)((v >> (msb - 6)) & 63);
}

/* The middle of bucket i. */
static uint64_t
hvalue(size_t i)
{
	unsigned shift;
	uint64_t sub;

	if (i < 128)
		return i;
	shift = (unsigned)((i - 128) / 64 + 1);
	sub = 64 + (i - 128) % 64;
	return (sub << shift) + ((1ULL << shift) >> 1);
}

static void
hist_add(struct hist *h, int64_t ns)
{
	uint64_t v = ns < 0 ? 0 : (uint64_t)ns;

	h->b[hbucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

/* Quantile q in microseconds (0 when empty). */
static double
hist_us(const struct hist *h, double q)
{
	uint64_t rank, sum = 0, v;
	size_t i;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if ((double)rank < q * (double)h->n)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HBUCKETS; i++) {
		sum += h->b[i];
		if (sum >= rank)
			break;
	}
	v = hvalue(i < HBUCKETS ? i : HBUCKETS - 1);
	if (v > h->max)
		v = h->max;
	return (double)v / 1e3;
}

/* --- /proc samples --------------------------------------------------------- */

static long
field(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0)
		return -1;
	return strtol(line + n, NULL, 10);
}

/* Reads the named "Name: N" lines of a /proc file; -1 if it cannot. */
static int
read_proc(const char *path, const char *const *names, long *const *vals)
{
	char line[256];
	FILE *fp;
	long v;
	int i;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		*vals[i] = 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		for (i = 0; names[i] != NULL; i++)
			if ((v = field(line, names[i])) >= 0) {
				*vals[i] = v;
				break;
			}
	fclose(fp);
	return 0;
}

static int
read_status(pid_t pid, struct srvstat *s)
{
	static const char *const names[] = { "VmRSS:", "VmHWM:", "Threads:",
	    NULL };
	long *const vals[] = { &s->rss_kb, &s->hwm_kb, &s->threads };
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (read_proc(path, names, vals) != 0)
		return -1;
	return s->threads > 0 ? 0 : -1;	/* a zombie has no threads line */
}

static int
read_meminfo(struct meminfo *m)
{
	static const char *const names[] = { "MemAvailable:", "KernelStack:",
	    "Slab:", "PageTables:", NULL };
	long *const vals[] = { &m->avail, &m->kstack, &m->slab, &m->pt };

	return read_proc("/proc/meminfo", names, vals);
}

static void
sample_peak(void)
{
	struct srvstat s;

	if (R.pid <= 0 || read_status(R.pid, &s) != 0)
		return;
	if (!R.have_peak || s.rss_kb > R.speak.rss_kb)
		R.speak.rss_kb = s.rss_kb;
	if (!R.have_peak || s.threads > R.speak.threads)
		R.speak.threads = s.threads;
	R.speak.hwm_kb = s.hwm_kb;
	R.have_peak = 1;
}

/* --- connections ------------------------------------------------------------ */

static int
is_busy(int st)
{
	return st == CONNECTING || st == BUSY || st == DRAIN;
}

/* Keeps the active and busy counts with the state. */
static void
set_state(struct conn *c, int st)
{
	if (c->state == FREE && st != FREE)
		R.active++;
	else if (c->state != FREE && st == FREE)
		R.active--;
	R.busy += (unsigned long)is_busy(st);
	R.busy -= (unsigned long)is_busy(c->state);
	c->state = (unsigned char)st;
}

static void
watch(struct conn *c, unsigned ev)
{
	struct epoll_event e = { .events = ev };

	if (ev == c->ev)
		return;
	e.data.u64 = (uint64_t)(c - R.c) | (uint64_t)c->serial << 32;
	if (epoll_ctl(R.ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
		die(71, "epoll_ctl: %s", strerror(errno));
	c->ev = ev;
}

/* The first message of a hold connection ends the ramp's wait for it. */
static void
first_over(struct conn *c)
{
	if (R.scen == HOLD && c->first && R.phase == 0)
		R.pending--;
	c->first = 0;
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->ev = 0;
	set_state(c, FREE);
}

static void __attribute__((format(printf, 3, 4)))
conn_fail(struct conn *c, enum err kind, const char *fmt, ...)
{
	va_list ap;

	R.err[kind]++;
	if (R.shown++ < MAX_SHOWN) {
		fprintf(stderr, "loadgen: connection %lu (serial %u): %s: ",
		    (unsigned long)(c - R.c), c->serial, err_names[kind]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	first_over(c);
	conn_close(c);
}

static enum err
err_kind(int e)
{
	return e == ECONNRESET || e == EPIPE ? E_RESET :
	    e == ETIMEDOUT ? E_TIMEOUT : E_OTHER;
}

static void
send_some(struct conn *c, int64_t now)
{
	int chunks = 0;
	size_t n;
	ssize_t r;

	while (c->sent < c->target) {
		n = c->target - c->sent < CHUNK ? (size_t)(c->target - c->sent) :
		    CHUNK;
		pattern(c->seed, c->sent, sbuf, n);
		r = send(c->fd, sbuf, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			conn_fail(c, err_kind(errno), "send: %s",
			    strerror(errno));
			return;
		}
		c->sent += (uint64_t)r;
		c->t_prog = now;
		/* A stream yields to reading now and then. */
		if ((size_t)r < n || ++chunks == 4)
			break;
	}
	if (R.scen == STREAM && c->sent == c->target && c->state == BUSY) {
		/* -n reached: half-close, take the rest and the EOF. */
		if (shutdown(c->fd, SHUT_WR) != 0) {
			conn_fail(c, E_OTHER, "shutdown: %s", strerror(errno));
			return;
		}
		set_state(c, DRAIN);
	}
	watch(c, EPOLLIN | (c->sent < c->target ? EPOLLOUT : 0));
}

static void
message_start(struct conn *c, int64_t now)
{
	c->target = c->sent + MSG_SIZE;
	c->t_msg = now;
	R.sends++;
	set_state(c, BUSY);
	send_some(c, now);
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct epoll_event e = { .events = EPOLLOUT };
	int one = 1, fd;

	c->serial = ++R.serials;
	c->seed = mix(c->serial * 0x9e3779b97f4a7c15ULL);
	c->sent = c->got = c->target = 0;
	c->t_msg = c->t_prog = 0;
	c->first = 1;
	c->fd = -1;
	R.opened++;
	set_state(c, CONNECTING);
	fd = socket(R.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		R.err[E_OTHER]++;
		if (R.shown++ < MAX_SHOWN)
			fprintf(stderr, "loadgen: socket: %s\n",
			    strerror(errno));
		first_over(c);
		set_state(c, FREE);
		return;
	}
	c->fd = fd;
	e.data.u64 = (uint64_t)(c - R.c) | (uint64_t)c->serial << 32;
	if (epoll_ctl(R.ep, EPOLL_CTL_ADD, fd, &e) != 0)
		die(71, "epoll_ctl: %s", strerror(errno));
	c->ev = EPOLLOUT;
	if (R.scen != STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (R.naddrs > 1) {
		/* The port is chosen at connect(), per destination. */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		src.sin_addr.s_addr = htonl(0x7f000001U +
		    (uint32_t)(c->serial % R.naddrs));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			conn_fail(c, E_CONNECT, "bind to %s: %s",
			    inet_ntoa(src.sin_addr), strerror(errno));
			return;
		}
	}
	/* Its own clock: starting 500 connects takes a while. */
	c->t_msg = c->t_prog = now_ns();
	if (connect(fd, (struct sockaddr *)&R.addr, R.addrlen) != 0 &&
	    errno != EINPROGRESS)
		conn_fail(c, E_CONNECT, "connect: %s", strerror(errno));
	/* Even at once, success is seen as EPOLLOUT. */
}

static void
connected(struct conn *c, int64_t now)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0) {
		conn_fail(c, e == ETIMEDOUT ? E_TIMEOUT : E_CONNECT,
		    "connect: %s", strerror(e));
		return;
	}
	c->t_prog = now;
	if (now - c->t_msg > R.connect_max)
		R.connect_max = now - c->t_msg;
	if (R.scen == STREAM) {
		c->target = R.count ? R.count : UINT64_MAX;
		set_state(c, BUSY);
		send_some(c, now);
		return;
	}
	/* The first message keeps the connect's start as its own. */
	c->target = MSG_SIZE;
	R.sends++;
	set_state(c, BUSY);
	send_some(c, now);
}

static int
more_wanted(int64_t now)
{
	if (now >= R.t_end)
		return 0;
	if (R.count == 0)
		return 1;
	return R.scen == CHURN ? R.opened < R.count : R.sends < R.count;
}

static void
message_done(struct conn *c, int64_t now)
{
	int64_t lat = now - c->t_msg;

	hist_add(&R.lat, lat);
	R.msgs++;
	R.t_last = now;
	if (c->first) {
		if (lat > R.first_max)
			R.first_max = lat;
		first_over(c);
	}
	switch (R.scen) {
	case PINGPONG:
		if (more_wanted(now)) {
			message_start(c, now);
			return;
		}
		break;
	case HOLD:
		set_state(c, IDLE);
		watch(c, EPOLLIN);
		return;
	default:
		break;
	}
	R.served++;
	conn_close(c);
	if (R.scen == CHURN && more_wanted(now))
		conn_open(c);
}

/* Index of the first byte where a and b differ. */
static size_t
first_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

static void
readable(struct conn *c, int64_t now)
{
	size_t i, want = sizeof(rbuf);
	ssize_t r;

	if (R.scen != STREAM && c->target - c->got < want)
		want = c->target - c->got ? (size_t)(c->target - c->got) : 1;
	r = recv(c->fd, rbuf, want, 0);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_fail(c, err_kind(errno), "recv after %llu of %llu "
			    "bytes: %s", (unsigned long long)c->got,
			    (unsigned long long)c->sent, strerror(errno));
		return;
	}
	if (r == 0) {
		if (c->state == DRAIN && c->got == c->sent) {
			R.served++;
			conn_close(c);
		} else {
			conn_fail(c, E_EOF, "end of file after %llu of %llu "
			    "bytes", (unsigned long long)c->got,
			    (unsigned long long)c->sent);
		}
		return;
	}
	if ((uint64_t)r > c->sent - c->got) {
		conn_fail(c, E_MISMATCH, "%zd bytes back at %llu, only %llu "
		    "were sent", r, (unsigned long long)c->got,
		    (unsigned long long)c->sent);
		return;
	}
	pattern(c->seed, c->got, ebuf, (size_t)r);
	if (memcmp(rbuf, ebuf, (size_t)r) != 0) {
		i = first_diff(rbuf, ebuf, (size_t)r);
		conn_fail(c, E_MISMATCH, "byte %llu is 0x%02x, 0x%02x was sent",
		    (unsigned long long)(c->got + i), rbuf[i], ebuf[i]);
		return;
	}
	c->got += (uint64_t)r;
	c->t_prog = now;
	R.bytes += (uint64_t)r;
	if (R.scen == STREAM)
		R.t_last = now;
	else if (c->got == c->target)
		message_done(c, now);
}

static void
event(const struct epoll_event *e, int64_t now)
{
	struct conn *c = &R.c[e->data.u64 & 0xffffffffU];

	/* A slot closed and reopened in this batch: not its event. */
	if (c->state == FREE || c->serial != (uint32_t)(e->data.u64 >> 32))
		return;
	if (c->state == CONNECTING) {
		connected(c, now);
		return;
	}
	if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		readable(c, now);
	if ((e->events & EPOLLOUT) && (c->state == BUSY))
		send_some(c, now);
}

/* --- the scenarios' clock ----------------------------------------------- */

static void
hold_ramp(int64_t now)
{
	while (R.pending < R.ramp && R.next_open < R.conns) {
		R.pending++;
		conn_open(&R.c[R.next_open++]);
	}
	if (R.pending > 0 || R.next_open < R.conns)
		return;
	/* Everyone connected (or failed): the memory they hold. */
	R.held = R.active;
	if (R.pid > 0 && read_status(R.pid, &R.s1) == 0)
		R.have_s1 = 1;
	read_meminfo(&R.m1);
	R.phase = 1;
	R.t_hold = now;
	R.t_end = now + R.duration;
	R.t_hard = R.t_end + 2 * R.timeout;
}

/* Hold: conn i takes turn j = k*N + i, at t_hold + j s/N. */
static void
hold_turns(int64_t now)
{
	struct conn *c;
	int64_t t;

	/* Quiet: the slowloris client, silent once it has been served. */
	for (; !R.quiet;) {
		t = R.t_hold + (int64_t)(R.hold_j * (uint64_t)SEC_NS / R.conns);
		if (t > now || t >= R.t_end)
			break;
		if (R.count && R.sends >= R.count)
			break;
		c = &R.c[R.hold_j++ % R.conns];
		if (c->state == IDLE)
			message_start(c, now);
		else if (c->state == BUSY)
			R.late++;
	}
	if (now >= R.t_end || (R.count && R.sends >= R.count))
		R.phase = 2;
}

static void
timeouts(int64_t now)
{
	unsigned long i;
	struct conn *c;

	for (i = 0; i < R.conns; i++) {
		c = &R.c[i];
		if (is_busy(c->state) && now - c->t_prog > R.timeout)
			conn_fail(c, E_TIMEOUT, "nothing for %.1f s after %llu "
			    "of %llu bytes%s", (double)R.timeout / SEC_NS,
			    (unsigned long long)c->got,
			    (unsigned long long)c->sent,
			    c->state == CONNECTING ? " (connecting)" : "");
	}
}

static void
stream_end(void)
{
	unsigned long i;
	struct conn *c;

	for (i = 0; i < R.conns; i++) {
		c = &R.c[i];
		if (c->state == CONNECTING) {
			conn_fail(c, E_TIMEOUT, "not connected when the run "
			    "ended");
		} else if (c->state == BUSY) {
			if (shutdown(c->fd, SHUT_WR) != 0) {
				conn_fail(c, E_OTHER, "shutdown: %s",
				    strerror(errno));
				continue;
			}
			c->target = c->sent;
			set_state(c, DRAIN);
			watch(c, EPOLLIN);
		}
	}
}

/* Everything that happens by the clock; sets R.done at the end. */
static void
tick(int64_t now)
{
	unsigned long i;

	if (now >= R.t_tick) {
		R.t_tick = now + TICK_NS;
		timeouts(now);
		sample_peak();
	}
	if (now >= R.t_hard) {
		for (i = 0; i < R.conns; i++)
			if (is_busy(R.c[i].state))
				conn_fail(&R.c[i], E_TIMEOUT, "still busy when "
				    "the run's time was up");
		/* A ramp that took too long: the rest never opened. */
		if (R.scen == HOLD && R.phase == 0) {
			R.err[E_TIMEOUT] += R.conns - R.next_open;
			R.next_open = R.conns;
		}
	}
	switch (R.scen) {
	case STREAM:
		if (now >= R.t_end)
			stream_end();
		break;
	case HOLD:
		if (R.phase == 0)
			hold_ramp(now);
		if (R.phase == 1)
			hold_turns(now);
		if (R.phase == 2 && R.busy == 0) {
			R.t_hold_end = now;
			sample_peak();
			R.served = R.active;
			for (i = 0; i < R.conns; i++)
				if (R.c[i].state == IDLE)
					conn_close(&R.c[i]);
		}
		break;
	default:
		break;
	}
	if (R.active == 0 && (R.scen != HOLD || R.phase == 2))
		R.done = 1;
}

/* Milliseconds epoll_wait may sleep. */
static int
wait_ms(int64_t now)
{
	int64_t next = R.t_tick;

	if (R.t_end > now && R.t_end < next)
		next = R.t_end;
	if (R.scen == HOLD && R.phase == 1) {
		int64_t t = R.t_hold + (int64_t)(R.hold_j * (uint64_t)SEC_NS /
		    R.conns);
		if (t < next)
			next = t;
	}
	if (next <= now)
		return 0;
	return (int)((next - now + 999999) / 1000000);
}

/* --- set-up and report ---------------------------------------------------- */

static uint64_t
number(const char *s, const char *what, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max) {
		fprintf(stderr, "loadgen: %s: '%s' is not a number from 0 to "
		    "%llu\n", what, s, (unsigned long long)max);
		exit(64);
	}
	return v;
}

static int64_t
seconds(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) ||
	    v > 86400) {
		fprintf(stderr, "loadgen: %s: '%s' is not a number of seconds "
		    "(more than 0, at most 86400)\n", what, s);
		exit(64);
	}
	return (int64_t)(v * 1e9);
}

static void
resolve(const char *host, unsigned port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res;
	char ps[16];
	int e;

	snprintf(ps, sizeof(ps), "%u", port);
	if ((e = getaddrinfo(host, ps, &hints, &res)) != 0) {
		fprintf(stderr, "loadgen: host '%s': %s\n", host,
		    gai_strerror(e));
		exit(64);
	}
	memcpy(&R.addr, res->ai_addr, res->ai_addrlen);
	R.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Descriptors: the hard limit (20,000 on the bench machine). */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die(71, "getrlimit RLIMIT_NOFILE: %s", strerror(errno));
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die(71, "setrlimit RLIMIT_NOFILE %llu: %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && R.conns + 16 > rl.rlim_cur) {
		fprintf(stderr, "loadgen: %lu connections need about %lu "
		    "descriptors; the limit is %llu\n", R.conns, R.conns + 16,
		    (unsigned long long)rl.rlim_cur);
		exit(64);
	}
}

static uint64_t
errors(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < E_KINDS; i++)
		n += R.err[i];
	return n;
}

/* Per held connection, in bytes, of a kB delta. */
static long long
per_conn(long kb)
{
	return R.held ? (long long)kb * 1024 / (long long)R.held : 0;
}

static void
report(int64_t end)
{
	double secs, lsecs;
	int i;

	lsecs = (double)((R.t_last > R.t_start ? R.t_last : end) - R.t_start)
	    / 1e9;
	secs = R.scen == HOLD ? (double)(R.t_hold_end - R.t_hold) / 1e9 : lsecs;
	printf("scenario=%s conns=%lu secs=%.3f", scenario_names[R.scen],
	    R.conns, secs);
	switch (R.scen) {
	case STREAM:
		printf(" bytes=%llu mb_per_s=%.1f", (unsigned long long)R.bytes,
		    secs > 0 ? (double)R.bytes / secs / 1e6 : 0);
		break;
	case PINGPONG:
		printf(" msgs=%llu msgs_per_s=%.0f", (unsigned long long)R.msgs,
		    secs > 0 ? (double)R.msgs / secs : 0);
		break;
	case CHURN:
		printf(" conns_done=%llu conns_per_s=%.0f",
		    (unsigned long long)R.served,
		    secs > 0 ? (double)R.served / secs : 0);
		break;
	case HOLD:
		printf(" connected=%llu msgs=%llu late=%llu ramp_s=%.3f",
		    (unsigned long long)R.held,
		    (unsigned long long)R.msgs, (unsigned long long)R.late,
		    (double)(R.t_hold - R.t_start) / 1e9);
		break;
	}
	if (R.scen != STREAM)
		printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
		    "first_max_us=%.1f connect_max_us=%.1f",
		    hist_us(&R.lat, 0.5), hist_us(&R.lat, 0.99),
		    hist_us(&R.lat, 0.999), (double)R.lat.max / 1e3,
		    (double)R.first_max / 1e3, (double)R.connect_max / 1e3);
	printf(" served=%llu errors=%llu", (unsigned long long)R.served,
	    (unsigned long long)errors());
	for (i = 0; i < E_KINDS; i++)
		printf(" err_%s=%llu", err_names[i],
		    (unsigned long long)R.err[i]);
	if (R.have_peak)
		printf(" srv_rss_kb_peak=%ld srv_hwm_kb=%ld "
		    "srv_threads_peak=%ld", R.speak.rss_kb, R.speak.hwm_kb,
		    R.speak.threads);
	if (R.scen == HOLD && R.have_s0 && R.have_s1)
		printf(" srv_rss_kb_before=%ld srv_rss_kb_held=%ld "
		    "srv_threads_before=%ld srv_threads_held=%ld "
		    "srv_rss_per_conn_b=%lld", R.s0.rss_kb, R.s1.rss_kb,
		    R.s0.threads, R.s1.threads,
		    per_conn(R.s1.rss_kb - R.s0.rss_kb));
	if (R.scen == HOLD && R.have_m)
		printf(" sys_avail_per_conn_b=%lld sys_kstack_per_conn_b=%lld "
		    "sys_slab_per_conn_b=%lld sys_pt_per_conn_b=%lld",
		    per_conn(R.m0.avail - R.m1.avail),
		    per_conn(R.m1.kstack - R.m0.kstack),
		    per_conn(R.m1.slab - R.m0.slab),
		    per_conn(R.m1.pt - R.m0.pt));
	printf("\n");
	fflush(stdout);

	fprintf(stderr, "loadgen: %s, %lu connections, %.2f s: ",
	    scenario_names[R.scen], R.conns, secs);
	if (R.scen == STREAM)
		fprintf(stderr, "%.1f MB/s", secs > 0 ?
		    (double)R.bytes / secs / 1e6 : 0);
	else if (R.scen == CHURN)
		fprintf(stderr, "%llu connections (%.0f/s), latency p50 %.1f "
		    "p99 %.1f max %.1f us", (unsigned long long)R.served,
		    lsecs > 0 ? (double)R.served / lsecs : 0,
		    hist_us(&R.lat, 0.5), hist_us(&R.lat, 0.99),
		    (double)R.lat.max / 1e3);
	else
		fprintf(stderr, "%llu messages (%.0f/s), %llu connections "
		    "served, latency p50 %.1f p99 %.1f max %.1f us",
		    (unsigned long long)R.msgs, lsecs > 0 ? (double)R.msgs /
		    lsecs : 0, (unsigned long long)R.served,
		    hist_us(&R.lat, 0.5), hist_us(&R.lat, 0.99),
		    (double)R.lat.max / 1e3);
	fprintf(stderr, ", %llu errors\n", (unsigned long long)errors());
	if (R.shown > MAX_SHOWN)
		fprintf(stderr, "loadgen: (%llu more errors not shown)\n",
		    (unsigned long long)(R.shown - MAX_SHOWN));
}

static void
setup(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "ramp", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "pid", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *scen = NULL;
	int ch, i, got_c = 0, got_a = 0, loop4;

	R.host = "127.0.0.1";
	R.port = 7007;
	R.timeout = 10 * SEC_NS;
	R.ramp = 64;
	R.duration = -1;
	while ((ch = getopt_long(argc, argv, "s:H:p:c:d:n:t:a:r:qP:h", longs,
	    NULL)) != -1) {
		switch (ch) {
		case 's': scen = optarg; break;
		case 'H': R.host = optarg; break;
		case 'p': R.port = (unsigned)number(optarg, "-p", 65535); break;
		case 'c':
			R.conns = (unsigned long)number(optarg, "-c", 1000000);
			got_c = 1;
			break;
		case 'd': R.duration = seconds(optarg, "-d"); break;
		case 'n': R.count = number(optarg, "-n", UINT64_MAX); break;
		case 't': R.timeout = seconds(optarg, "-t"); break;
		case 'a':
			R.naddrs = (unsigned long)number(optarg, "-a", 254);
			got_a = 1;
			break;
		case 'q': R.quiet = 1; break;
		case 'r': R.ramp = (unsigned long)number(optarg, "-r",
		    1000000); break;
		case 'P': R.pid = (pid_t)number(optarg, "--pid", 4194304);
		    break;
		default: usage();
		}
	}
	if (optind != argc || scen == NULL)
		usage();
	for (i = 0; i <= HOLD; i++)
		if (strcmp(scen, scenario_names[i]) == 0)
			break;
	if (i > HOLD) {
		fprintf(stderr, "loadgen: unknown scenario '%s' (stream, "
		    "pingpong, churn or hold)\n", scen);
		exit(64);
	}
	R.scen = (enum scenario)i;
	if (!got_c)
		R.conns = R.scen == CHURN ? 16 : R.scen == HOLD ? 1000 : 1;
	if (R.duration < 0)
		R.duration = (R.scen == HOLD ? 10 : 2) * SEC_NS;
	if (R.port == 0 || R.conns == 0 || (got_a && R.naddrs == 0) ||
	    R.ramp == 0) {
		fprintf(stderr, "loadgen: -p, -c, -a and -r must not be 0\n");
		exit(64);
	}
	resolve(R.host, R.port);
	loop4 = R.addr.ss_family == AF_INET &&
	    ntohl(((struct sockaddr_in *)&R.addr)->sin_addr.s_addr) >> 24 == 127;
	/*
	 * From one address, the kernel's search for a free port slows down
	 * as thousands are taken: ramping to 19,000 takes ten times longer.
	 */
	if (!got_a)
		R.naddrs = loop4 ? 8 : 1;
	if (R.naddrs > 1 && !loop4) {
		fprintf(stderr, "loadgen: -a %lu: several source addresses "
		    "need an IPv4 loopback host, not '%s'\n", R.naddrs, R.host);
		exit(64);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[NEVENTS];
	int64_t now;
	unsigned long i;
	int n, k;

	setup(argc, argv);
	raise_nofile();
	pattern_init();
	signal(SIGPIPE, SIG_IGN);
	if ((R.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die(71, "epoll_create1: %s", strerror(errno));
	/* Touched now, so that none of it counts as the server's memory. */
	if ((R.c = calloc(R.conns, sizeof(*R.c))) == NULL)
		die(71, "out of memory for %lu connections", R.conns);
	memset(R.c, 0, R.conns * sizeof(*R.c));
	memset(rbuf, 1, sizeof(rbuf));
	memset(ebuf, 1, sizeof(ebuf));
	memset(sbuf, 1, sizeof(sbuf));
	memset(&R.lat, 0, sizeof(R.lat));
	for (i = 0; i < R.conns; i++)
		R.c[i].fd = -1;

	if (R.pid > 0) {
		if (read_status(R.pid, &R.s0) != 0)
			die(64, "--pid %ld: no such process",
			    (long)R.pid);
		R.have_s0 = 1;
		sample_peak();
	}
	R.have_m = R.scen == HOLD && read_meminfo(&R.m0) == 0;

	now = now_ns();
	R.t_start = now;
	R.t_tick = now + TICK_NS;
	if (R.scen == HOLD) {
		/* The hold starts when the ramp is over; until then: */
		R.t_end = INT64_MAX;
		R.t_hard = now + R.timeout * (int64_t)(R.conns / R.ramp + 2);
		if (R.t_hard > now + 300 * SEC_NS)
			R.t_hard = now + 300 * SEC_NS;
	} else {
		R.t_end = now + R.duration;
		R.t_hard = R.t_end + 2 * R.timeout;
		for (i = 0; i < R.conns; i++)
			conn_open(&R.c[i]);
	}
	while (!R.done) {
		tick(now);
		if (R.done)
			break;
		n = epoll_wait(R.ep, evs, NEVENTS, wait_ms(now));
		if (n < 0 && errno != EINTR)
			die(71, "epoll_wait: %s", strerror(errno));
		now = now_ns();
		for (k = 0; k < n; k++)
			event(&evs[k], now);
	}
	if (R.scen == HOLD && R.t_hold == 0)
		R.t_hold = now;
	if (R.scen == HOLD && R.t_hold_end == 0)
		R.t_hold_end = now;
	report(now);
	return errors() ? 1 : 0;
}
