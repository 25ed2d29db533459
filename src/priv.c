/*
 * Privilege drop, in the order that cannot be undone halfway: groups
 * first (only root may change them), then the gid, then the uid.  The
 * workers are created after this, and glibc applies set*id() to every
 * thread anyway, so no connection is ever served as root by accident.
 */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int
priv_check(const struct config *cfg)
{
	if (geteuid() != 0 || *cfg->user != '\0')
		return 0;
	log_error("refusing to serve as root: set user in [server] to an "
	    "unprivileged user (or user = root to run as root anyway)");
	return -1;
}

static int
lookup(const struct config *cfg, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_error("user = %s: %s", cfg->user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (*cfg->group == '\0')
		return 0;
	errno = 0;
	if ((gr = getgrnam(cfg->group)) == NULL) {
		log_error("group = %s: %s", cfg->group,
		    errno ? strerror(errno) : "no such group");
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

int
priv_drop(const struct config *cfg)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		if (*cfg->user != '\0')
			log_debug("not started as root: user = %s does not "
			    "apply", cfg->user);
		return 0;
	}
	if (lookup(cfg, &uid, &gid) != 0)
		return -1;
	if (uid == 0 && *cfg->group == '\0') {
		log_warning("serving as root, as user = root says");
		return 0;
	}
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		log_error("cannot switch to user %s, group %u: %s", cfg->user,
		    (unsigned)gid, strerror(errno));
		return -1;
	}
	/* Make sure: if root can be regained, nothing was dropped. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_error("could become root again after switching to %s",
		    cfg->user);
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", cfg->user,
	    (unsigned)uid, (unsigned)gid);
	return 0;
}
