/* Privilege drop of a worker; see net_sandbox.h. */
#include "net_sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int net_sandbox_enter(uid_t uid, gid_t gid, pid_t parent, struct spore_err *err)
{
	if (uid == 0 || gid == 0)
		return spore_err_setx(err, EINVAL, "refusing to run a worker as root");

	/* Dropping from the bounding set needs CAP_SETPCAP: do it while root. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return spore_err_set(err, errno, "drop capability %d", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return spore_err_set(err, errno, "clear ambient capabilities");
	if (setgroups(0, NULL) < 0)
		return spore_err_set(err, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return spore_err_set(err, errno, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return spore_err_set(err, errno, "setresuid %u", (unsigned)uid);
	/* Changing credentials cleared the parent-death signal: set it now, then
	 * check the parent did not die in between. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_PDEATHSIG");
	if (getppid() != parent)
		return spore_err_setx(err, ESRCH, "parent exited");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_NO_NEW_PRIVS");

	/* Paranoia: the switch must be irreversible. */
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0)
		return spore_err_setx(err, EPERM, "could regain root after the drop");
	return net_seccomp_install(err);
}
