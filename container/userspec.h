/* User resolution against an image's /etc/passwd and /etc/group, the way
 * docker (runc) does it. Pure: works on file contents in memory, allocates
 * nothing, so the same code runs in sporeinit and in unit tests. */
#ifndef SPOREINIT_USERSPEC_H
#define SPOREINIT_USERSPEC_H

#include <stddef.h>
#include <sys/types.h>

#define USERSPEC_MAX_GROUPS 64
#define USERSPEC_HOME_MAX   256

struct userspec_ids {
	uid_t uid;
	gid_t gid;
	int ngroups;                          /* supplementary groups */
	gid_t groups[USERSPEC_MAX_GROUPS];
	char home[USERSPEC_HOME_MAX];
};

/* Resolves spec ("" or NULL = root; "name", "uid", "uid:gid", "name:group",
 * ...) against passwd/group text (either may be NULL = empty file).
 *  - the user part matches a passwd entry by name or by numeric uid; a name
 *    that matches nothing is an error, a number that matches nothing is used
 *    as is with gid 0 and HOME "/";
 *  - the group part matches a group by name or gid likewise;
 *  - without a group part, the supplementary groups are the groups that list
 *    the user's name as a member (runc: they only make sense then).
 * Returns 0, or -1 with errbuf holding one line. */
int userspec_resolve(const char *spec, const char *passwd, size_t passwd_len, const char *group,
		     size_t group_len, struct userspec_ids *out, char *errbuf, size_t errlen);

#endif
