/* Entering a worker's confinement; see confine.h. */
#include "confine.h"
#include <spore/log.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int spore_confine_user(const char *name, uid_t *uid, gid_t *gid, struct spore_err *err)
{
	struct passwd *pw = getpwnam(name);
	if (!pw || pw->pw_uid == 0)
		pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0 || pw->pw_gid == 0)
		return spore_err_setx(err, ENOENT, "no user %s or nobody to run the image worker as", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Drops root for c's user: an empty bounding set (needs CAP_SETPCAP, so
 * while root), no groups, then uid and gid, which clears the rest. */
static int drop_root(const struct spore_confine *c, struct spore_err *err)
{
	if (c->uid == 0 || c->gid == 0)
		return spore_err_setx(err, EINVAL, "refusing to run a worker as root");
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return spore_err_set(err, errno, "dropping capability %d", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return spore_err_set(err, errno, "clearing ambient capabilities");
	if (setgroups(0, NULL) < 0)
		return spore_err_set(err, errno, "setgroups");
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		return spore_err_set(err, errno, "setresgid %u", (unsigned)c->gid);
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		return spore_err_set(err, errno, "setresuid %u", (unsigned)c->uid);
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0)
		return spore_err_setx(err, EPERM, "could regain root after the drop");
	return 0;
}

int spore_confine_enter(const struct spore_confine *c, struct spore_err *err)
{
	int r = 0;

	if (geteuid() == 0 && (r = drop_root(c, err)) < 0)
		return r;
	/* A credential change clears the parent-death signal: set it after,
	 * then check the parent did not die in between. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_PDEATHSIG");
	if (getppid() != c->parent)
		return spore_err_setx(err, ESRCH, "sporectl exited");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_NO_NEW_PRIVS");
	if (c->ruleset >= 0 && syscall(SYS_landlock_restrict_self, c->ruleset, 0) < 0)
		return spore_err_set(err, errno, "entering the Landlock ruleset");
	if (c->ruleset < 0)
		log_warn("this kernel has no Landlock: the image worker runs without path rules");
	return spore_confine_seccomp(err);
}
