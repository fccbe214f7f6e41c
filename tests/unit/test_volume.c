/* Managed volumes' pure rules (controller/volume/): names, the default
 * size, the printable form of what users type, and "in use" from guest records. */
#include "volume_rules.h"
#include "volume_users.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"

static void names(void)
{
	char long_ok[SPORE_VOLUME_NAME_MAX + 1], too_long[SPORE_VOLUME_NAME_MAX + 2];

	ok(spore_volume_name_valid("data") && spore_volume_name_valid("a") &&
		   spore_volume_name_valid("0") && spore_volume_name_valid("my_vol.v2-x"),
	   "docker's names are valid: alnum first, then alnum, _ . -");
	ok(!spore_volume_name_valid("") && !spore_volume_name_valid(NULL), "empty is not");
	ok(!spore_volume_name_valid(".hidden") && !spore_volume_name_valid(".") &&
		   !spore_volume_name_valid(".."),
	   "a leading '.' is not (the store's own files; never . or ..)");
	ok(!spore_volume_name_valid("_x") && !spore_volume_name_valid("-x"),
	   "a leading _ or - is not (no option look-alike)");
	ok(!spore_volume_name_valid("a/b") && !spore_volume_name_valid("a b") &&
		   !spore_volume_name_valid("a:ro") && !spore_volume_name_valid("a\nb"),
	   "'/', space, ':' (launch -v's separator) and control bytes are not");
	ok(!spore_volume_name_valid("caf\xc3\xa9") && !spore_volume_name_valid("\xc3\xa9t\xc3\xa9"),
	   "non-ASCII bytes are not, first or later");
	memset(long_ok, 'a', SPORE_VOLUME_NAME_MAX);
	long_ok[SPORE_VOLUME_NAME_MAX] = '\0';
	memset(too_long, 'a', SPORE_VOLUME_NAME_MAX + 1);
	too_long[SPORE_VOLUME_NAME_MAX + 1] = '\0';
	ok(spore_volume_name_valid(long_ok), "%d characters are valid (docker's anonymous names)",
	   SPORE_VOLUME_NAME_MAX);
	ok(!spore_volume_name_valid(too_long), "%d are not", SPORE_VOLUME_NAME_MAX + 1);
}

static void sizes(void)
{
	ok(SPORE_VOLUME_MIN_SIZE <= SPORE_VOLUME_DEFAULT_SIZE &&
		   SPORE_VOLUME_DEFAULT_SIZE <= SPORE_VOLUME_MAX_SIZE,
	   "the default size is within the limits");
}

static void printable(void)
{
	char b[16];

	is_str(spore_volume_printable("data", b, sizeof(b)), "data", "plain text stays");
	is_str(spore_volume_printable("\x1b[31m", b, sizeof(b)), "\\x1b[31m", "ESC is shown as \\x1b");
	is_str(spore_volume_printable("a\\b\x7f", b, sizeof(b)), "a\\x5cb\\x7f",
	       "backslash and DEL are escaped (no ambiguity)");
	is_str(spore_volume_printable("\xc3\xa9", b, sizeof(b)), "\\xc3\\xa9", "so are non-ASCII bytes");
	is_str(spore_volume_printable("0123456789abcde", b, sizeof(b)), "0123456789abcde",
	       "what fits exactly is not cut");
	is_str(spore_volume_printable("0123456789abcdef", b, sizeof(b)), "0123456789ab...",
	       "what does not is cut, with ...");
	is_str(spore_volume_printable("0123456789ab\x01", b, sizeof(b)), "0123456789ab...",
	       "an escape is never cut in half");
}

static void users(void)
{
	struct spore_guest g[3];

	ok(spore_volume_list_has("data", "data") && spore_volume_list_has("a data:ro b", "data") &&
		   spore_volume_list_has("x  data", "data"),
	   "the record's list: NAME or NAME:ro, space-separated");
	ok(!spore_volume_list_has("database", "data") && !spore_volume_list_has("dat", "data") &&
		   !spore_volume_list_has("my-data", "data") && !spore_volume_list_has("", "data") &&
		   !spore_volume_list_has(NULL, "data") && !spore_volume_list_has("data", ""),
	   "whole names only");
	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "web");
	strcpy(g[0].state, "exited");
	strcpy(g[0].volumes, "data");
	strcpy(g[1].name, "db");
	strcpy(g[1].state, "running");
	strcpy(g[1].volumes, "logs:ro data");
	strcpy(g[2].name, "new");
	strcpy(g[2].state, "building");
	strcpy(g[2].volumes, "cache");
	ok(!spore_volume_guest_uses(&g[0], "data"), "an exited guest holds nothing");
	ok(spore_volume_guest_uses(&g[1], "data") && spore_volume_guest_uses(&g[1], "logs"),
	   "a running guest holds its volumes, read-only ones too");
	ok(spore_volume_guest_uses(&g[2], "cache"), "so does one being built");
	is_int(spore_volume_find_user(g, 3, "data"), 1, "data's user: the running guest");
	is_int(spore_volume_find_user(g, 3, "cache"), 2, "cache's: the one being built");
	is_int(spore_volume_find_user(g, 3, "other"), -1, "nobody uses other");
	is_int(spore_volume_find_user(NULL, 0, "data"), -1, "no guests, no users");
}

/* Parses spec; returns the error code and leaves the message in *msg. */
static int mount_of(const char *spec, struct spore_volume_mount *m, const char **msg)
{
	static struct spore_err e;
	memset(&e, 0, sizeof(e));
	int r = spore_volume_mount_parse(spec, m, &e);
	*msg = e.msg;
	return r;
}

static void mounts(void)
{
	struct spore_volume_mount m[3];
	const char *msg;

	is_int(mount_of("data:/data", &m[0], &msg), 0, "NAME:/path parses");
	ok(!strcmp(m[0].name, "data") && !strcmp(m[0].target, "/data") && !m[0].ro,
	   "  name data, target /data, read-write");
	is_int(mount_of("logs:/var/log/app:ro", &m[0], &msg), 0, "NAME:/path:ro parses");
	ok(!strcmp(m[0].target, "/var/log/app") && m[0].ro, "  read-only");
	is_int(mount_of("x:/a:rw", &m[0], &msg), 0, ":rw parses");
	ok(!m[0].ro, "  read-write");
	is_int(mount_of("x://srv//db/", &m[0], &msg), 0, "repeated and trailing '/' parse");
	is_str(m[0].target, "/srv/db", "  and are dropped from the target");

	is_int(mount_of("/srv/data:/data", &m[0], &msg), -EINVAL, "a host directory is refused");
	ok(strstr(msg, "host directories are not supported yet") != NULL, "  saying why: %s", msg);
	is_int(mount_of("./dir:/data", &m[0], &msg), -EINVAL, "a relative host path too");
	ok(strstr(msg, "host directories") != NULL, "  as a host path");
	is_int(mount_of("data", &m[0], &msg), -EINVAL, "a name alone is refused");
	ok(strstr(msg, "NAME:/path[:ro]") != NULL, "  showing the form: %s", msg);
	is_int(mount_of("/data", &m[0], &msg), -EINVAL, "an anonymous volume is refused");
	is_int(mount_of("data:data", &m[0], &msg), -EINVAL, "a relative target is refused");
	ok(strstr(msg, "absolute") != NULL, "  saying absolute: %s", msg);
	is_int(mount_of("data:", &m[0], &msg), -EINVAL, "an empty target is refused");
	is_int(mount_of("data:/a/../etc", &m[0], &msg), -EINVAL, "a '..' component is refused");
	ok(strstr(msg, "'..'") != NULL, "  naming it: %s", msg);
	is_int(mount_of("data:/a/./b", &m[0], &msg), -EINVAL, "a '.' component is refused");
	is_int(mount_of("data:/..", &m[0], &msg), -EINVAL, "/.. is refused");
	is_int(mount_of("data:/a..b/..c", &m[0], &msg), 0, "dots inside a component are fine");
	is_int(mount_of("data:/", &m[0], &msg), -EINVAL, "/ is refused");
	is_int(mount_of("data:///", &m[0], &msg), -EINVAL, "/// is / and refused");
	is_int(mount_of("da ta:/data", &m[0], &msg), -EINVAL, "a bad name is refused");
	ok(strstr(msg, "is not a volume name") != NULL, "  saying so: %s", msg);
	is_int(mount_of("_x:/data", &m[0], &msg), -EINVAL, "a name starting with _ is refused");
	is_int(mount_of("data:/data:rx", &m[0], &msg), -EINVAL, "a mode other than ro/rw is refused");
	ok(strstr(msg, "mode 'rx'") != NULL, "  naming it: %s", msg);
	is_int(mount_of("data:/data:ro:x", &m[0], &msg), -EINVAL, "a fourth field is refused");
	is_int(mount_of("data:/a\\b", &m[0], &msg), 0, "a backslash is just a character");
	is_int(mount_of("data:/a\nb", &m[0], &msg), -EINVAL, "a control character in the target is refused");
	ok(strstr(msg, "control characters") != NULL, "  saying so: %s", msg);

	is_int(mount_of("data:/data", &m[0], &msg), 0, "first of three");
	is_int(mount_of("logs:/logs:ro", &m[1], &msg), 0, "second");
	is_int(spore_volume_mount_check(m, 2, &(struct spore_err){0}), 0, "two volumes, two targets: fine");
	is_int(mount_of("other:/data/", &m[2], &msg), 0, "a third on /data/");
	struct spore_err e = {0};
	is_int(spore_volume_mount_check(m, 3, &e), -EINVAL, "the same target twice is refused");
	ok(strstr(e.msg, "/data is the target of two volumes") != NULL, "  naming it: %s", e.msg);
	is_int(mount_of("data:/elsewhere:ro", &m[2], &msg), 0, "data again, elsewhere");
	memset(&e, 0, sizeof(e));
	is_int(spore_volume_mount_check(m, 3, &e), -EINVAL, "the same volume twice is refused");
	ok(strstr(e.msg, "'data' is given twice") != NULL, "  naming it: %s", e.msg);
}

/* Parses a --tmpfs spec; returns the error code, the message in *msg. */
static int tmpfs_of(const char *spec, struct spore_tmpfs_mount *t, const char **msg)
{
	static struct spore_err e;
	memset(&e, 0, sizeof(e));
	int r = spore_tmpfs_parse(spec, t, &e);
	*msg = e.msg;
	return r;
}

static void tmpfs(void)
{
	const uint8_t def = SPORE_TMPFS_NOEXEC | SPORE_TMPFS_NOSUID | SPORE_TMPFS_NODEV;
	struct spore_tmpfs_mount t[2];
	struct spore_volume_mount m;
	const char *msg;

	is_int(tmpfs_of("/tmp", &t[0], &msg), 0, "--tmpfs /tmp parses");
	ok(!strcmp(t[0].target, "/tmp") && t[0].size == 0 && t[0].mode == 01777 && t[0].flags == def,
	   "  docker's defaults: mode 1777, no size, noexec,nosuid,nodev");
	is_int(tmpfs_of("/run//app/:size=64m,mode=755", &t[0], &msg), 0, "size= and mode= parse");
	ok(!strcmp(t[0].target, "/run/app") && t[0].size == 64ull << 20 && t[0].mode == 0755,
	   "  /run/app, 64 MiB, 0755");
	is_int(tmpfs_of("/x:size=65536k", &t[0], &msg), 0, "size in k parses");
	ok(t[0].size == 64ull << 20, "  65536k is 64 MiB");
	is_int(tmpfs_of("/x:size=1.5GiB", &t[0], &msg), 0, "size 1.5GiB parses");
	ok(t[0].size == 3ull << 29, "  as 1.5 GiB");
	is_int(tmpfs_of("/x:exec,suid,dev,ro", &t[0], &msg), 0, "exec,suid,dev,ro parse");
	ok(t[0].flags == SPORE_TMPFS_RO, "  only read-only stays");
	is_int(tmpfs_of("/x:ro,rw,noexec,exec", &t[0], &msg), 0, "the last of a pair wins");
	ok(t[0].flags == (SPORE_TMPFS_NOSUID | SPORE_TMPFS_NODEV), "  rw and exec");

	is_int(tmpfs_of("tmp", &t[0], &msg), -EINVAL, "a relative target is refused");
	ok(strstr(msg, "--tmpfs 'tmp': the target must be an absolute path") != NULL, "  saying so: %s", msg);
	is_int(tmpfs_of("/", &t[0], &msg), -EINVAL, "/ is refused");
	is_int(tmpfs_of("/a/../b", &t[0], &msg), -EINVAL, "a '..' component is refused");
	is_int(tmpfs_of("/x:size=0", &t[0], &msg), -EINVAL, "size=0 is refused");
	is_int(tmpfs_of("/x:size=10%", &t[0], &msg), -EINVAL, "a percentage is refused");
	ok(strstr(msg, "size '10%'") != NULL, "  naming it: %s", msg);
	is_int(tmpfs_of("/x:mode=8", &t[0], &msg), -EINVAL, "mode 8 (not octal) is refused");
	is_int(tmpfs_of("/x:mode=17777", &t[0], &msg), -EINVAL, "mode above 7777 is refused");
	is_int(tmpfs_of("/x:mode=-1", &t[0], &msg), -EINVAL, "a negative mode is refused");
	is_int(tmpfs_of("/x:uid=0", &t[0], &msg), -EINVAL, "an unknown option is refused");
	ok(strstr(msg, "option 'uid=0'") != NULL, "  naming it: %s", msg);
	is_int(tmpfs_of("/x:size=1m,,ro", &t[0], &msg), -EINVAL, "an empty option is refused");
	is_int(tmpfs_of("/x:", &t[0], &msg), -EINVAL, "a trailing ':' is refused");

	is_int(tmpfs_of("/a", &t[0], &msg), 0, "tmpfs on /a");
	is_int(tmpfs_of("/b", &t[1], &msg), 0, "tmpfs on /b");
	is_int(mount_of("data:/c", &m, &msg), 0, "volume on /c");
	is_int(spore_mount_targets_check(&m, 1, t, 2, &(struct spore_err){0}), 0, "three targets: fine");
	is_int(tmpfs_of("/c/", &t[1], &msg), 0, "tmpfs on /c/");
	struct spore_err e = {0};
	is_int(spore_mount_targets_check(&m, 1, t, 2, &e), -EINVAL, "a volume's target is refused");
	ok(strstr(e.msg, "/c is the target of two mounts") != NULL, "  naming it: %s", e.msg);
	is_int(tmpfs_of("//a", &t[1], &msg), 0, "tmpfs on //a");
	memset(&e, 0, sizeof(e));
	is_int(spore_mount_targets_check(&m, 1, t, 2, &e), -EINVAL, "another tmpfs's target is refused");
}

int main(void)
{
	names();
	sizes();
	printable();
	users();
	mounts();
	tmpfs();
	return tap_done();
}
