/*
 * Unix stream sockets, listener.c's TRANSPORT_UNIX row: the life of the
 * socket file.  A file left by an instance that is gone is replaced; a
 * file a live process answers on, or one that is not a socket, is an
 * error and left alone.  echod removes the file it made, and only that
 * one, when it closes the socket; a socket passed by the service manager
 * is the manager's, and so is its file.
 */
#ifndef ECHOD_UNIX_H
#define ECHOD_UNIX_H

struct bind_addr;
struct config;
struct listener;

/*
 * socket(), bind(), chown() to unix_group, chmod() to unix_mode, then
 * listen(): nobody can connect before the permissions are right.  Fills
 * l->fd, l->at and l->file.  0, or -1 (logged, errno kept, nothing left
 * open or made).
 */
int unix_open(struct listener *l, const char *spec,
    const struct bind_addr *ba, const struct config *cfg);

/* A kept socket: the new backlog, unix_mode and unix_group. */
void unix_retune(struct listener *l, const struct config *cfg);

/*
 * Closes l->fd, then removes the socket file if echod made it and it is
 * still that file (not one another instance has put there since).
 */
void unix_close(struct listener *l);

#endif
