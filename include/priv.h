/* Giving up root after the sockets are open. */
#ifndef ECHOD_PRIV_H
#define ECHOD_PRIV_H

struct config;

/*
 * Before anything is opened: started as root, echod serves only as the
 * configured user; with no user given it refuses (-1, reason logged)
 * unless the file says user = root.
 */
int priv_check(const struct config *cfg);

/*
 * After binding: as root, clears the supplementary groups and switches to
 * cfg's group and user, then checks that root cannot be regained.
 * Without root it changes nothing.  Returns 0, or -1 with the reason
 * logged.
 */
int priv_drop(const struct config *cfg);

#endif
