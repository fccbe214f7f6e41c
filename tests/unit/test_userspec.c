/* sporeinit's user resolution against passwd/group text (docker/runc rules). */
#include "userspec.h"

#include <string.h>

#include "tap.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"# a comment\n"
	"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
	"broken line without colons\n"
	"num:x:notanumber:5::/:/bin/sh\n"
	"\n"
	"app:x:1000:1000:App User:/home/app:/bin/sh\n"
	"short:x:7\n"
	"last:x:1001:1001::/home/last:/bin/sh"; /* no final newline */

static const char group[] =
	"root:x:0:root\n"
	"wheel:x:10:root,app\n"
	"staff:x:50:\n"
	"app:x:1000:\n"
	"devs:x:2000:bob,app,carol\n"
	"apps:x:2001:application\n"
	"bad:x:zz:app\n";

static struct userspec_ids ids;
static char err[256];

static int res(const char *spec)
{
	err[0] = '\0';
	return userspec_resolve(spec, passwd, strlen(passwd), group, strlen(group), &ids, err,
				sizeof(err));
}

int main(void)
{
	ok(res("") == 0 && ids.uid == 0 && ids.gid == 0, "empty spec is root");
	is_str(ids.home, "/root", "root's HOME from passwd");
	ok(ids.ngroups == 2 && ids.groups[0] == 0 && ids.groups[1] == 10,
	   "root's supplementary groups: root, wheel");
	ok(res(NULL) == 0 && ids.uid == 0, "NULL spec is root");

	ok(res("app") == 0 && ids.uid == 1000 && ids.gid == 1000, "name resolves uid and gid");
	is_str(ids.home, "/home/app", "HOME of a named user");
	ok(ids.ngroups == 2 && ids.groups[0] == 10 && ids.groups[1] == 2000,
	   "supplementary groups by membership, exact names only");
	ok(res("1000") == 0 && ids.uid == 1000 && ids.gid == 1000 && ids.ngroups == 2,
	   "numeric uid found in passwd behaves as the name");
	ok(res("4242") == 0 && ids.uid == 4242 && ids.gid == 0 && ids.ngroups == 0,
	   "unknown numeric uid: gid 0, no groups");
	is_str(ids.home, "/", "unknown uid gets HOME /");

	ok(res("app:staff") == 0 && ids.uid == 1000 && ids.gid == 50 && ids.ngroups == 0,
	   "name:group sets the group, no supplementary groups");
	ok(res("app:77") == 0 && ids.gid == 77, "name:gid with an unknown gid uses it");
	ok(res("4242:4343") == 0 && ids.uid == 4242 && ids.gid == 4343, "uid:gid");
	ok(res("1001:2000") == 0 && ids.uid == 1001 && ids.gid == 2000, "uid:gid of known entries");
	is_str(ids.home, "/home/last", "last line without newline parsed");
	ok(res(":wheel") == 0 && ids.uid == 0 && ids.gid == 10, ":group is root with that group");

	ok(res("nobody") < 0, "unknown name rejected");
	is_str(err, "unable to find user nobody: no matching entries in passwd file",
	       "docker's message for an unknown user");
	ok(res("app:nogroup") < 0, "unknown group name rejected");
	is_str(err, "unable to find group nogroup: no matching entries in group file",
	       "docker's message for an unknown group");
	ok(res("99999999999") < 0, "uid out of range rejected");
	ok(res("4294967295") < 0, "uid -1 rejected");
	ok(res("4294967294") == 0 && ids.uid == 4294967294u, "largest uid accepted");
	ok(res("app:") < 0, "empty group rejected");
	ok(res("short") < 0, "entry with too few fields ignored");
	ok(res("num") < 0, "entry with a non-numeric uid ignored");

	ok(userspec_resolve("", NULL, 0, NULL, 0, &ids, err, sizeof(err)) == 0 && ids.uid == 0 &&
		   !strcmp(ids.home, "/"),
	   "no passwd file: root with HOME /");
	ok(userspec_resolve("app", NULL, 0, NULL, 0, &ids, err, sizeof(err)) < 0,
	   "no passwd file: names fail");
	/* Length-bounded: the buffer is not NUL-terminated where it stops. */
	ok(userspec_resolve("app", passwd, 30, group, 5, &ids, err, sizeof(err)) < 0,
	   "only the given length of the file is read");
	return tap_done();
}
