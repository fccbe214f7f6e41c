/* sporeinit's PATH lookup, on a real directory tree. */
#include "pathsearch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char dir[64], p1[128], p2[128], path[300], out[512];

static void mkfile(const char *d, const char *name, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", d, name);
	close(open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	chmod(p, mode);
}

int main(void)
{
	char want[256], cwd[512];

	strcpy(dir, "/tmp/spore-pathsearch.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(p1, sizeof(p1), "%s/bin1", dir);
	snprintf(p2, sizeof(p2), "%s/bin2", dir);
	mkdir(p1, 0755);
	mkdir(p2, 0755);
	mkfile(p1, "exe", 0755);
	mkfile(p1, "shadowed", 0644);
	mkfile(p2, "shadowed", 0755);
	mkfile(p1, "plain", 0644);
	snprintf(want, sizeof(want), "%s/sub", p1);
	mkdir(want, 0755);
	snprintf(path, sizeof(path), "%s:%s", p1, p2);

	snprintf(want, sizeof(want), "%s/exe", p1);
	is_int(pathsearch("exe", path, out, sizeof(out)), 0, "found in the first PATH entry");
	is_str(out, want, "full path returned");
	snprintf(want, sizeof(want), "%s/shadowed", p2);
	is_int(pathsearch("shadowed", path, out, sizeof(out)), 0,
	       "non-executable match skipped for a later executable one");
	is_str(out, want, "the executable one returned");
	if (geteuid() == 0 || access(p1, W_OK) == 0)
		is_int(pathsearch("plain", path, out, sizeof(out)), 126,
		       "only a non-executable match: 126");
	is_int(pathsearch("missing", path, out, sizeof(out)), 127, "no match: 127");
	is_int(pathsearch("sub", path, out, sizeof(out)), 127, "a directory is not a match");
	is_int(pathsearch("", path, out, sizeof(out)), 127, "empty name: 127");

	snprintf(want, sizeof(want), "%s/exe", p1);
	is_int(pathsearch(want, "/nonexistent", out, sizeof(out)), 0, "a path with '/' is used as is");
	snprintf(want, sizeof(want), "%s/plain", p1);
	is_int(pathsearch(want, NULL, out, sizeof(out)), 126, "absolute non-executable: 126");
	is_int(pathsearch("/nonexistent/x", NULL, out, sizeof(out)), 127, "absolute missing: 127");

	if (getcwd(cwd, sizeof(cwd)) && chdir(p1) == 0) {
		is_int(pathsearch("exe", "/nonexistent::/also-not", out, sizeof(out)), 0,
		       "an empty PATH entry is the current directory");
		is_str(out, "exe", "relative result for the empty entry");
		is_int(pathsearch("exe", "/nonexistent", out, sizeof(out)), 127,
		       "the current directory is not searched otherwise");
		if (chdir(cwd) < 0)
			return 1;
	}
	is_int(pathsearch("exe", path, out, 8), 127, "result longer than the buffer: 127");
	is_int(pathsearch("sh", NULL, out, sizeof(out)), 0, "default PATH finds sh");

	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	if (system(want) != 0)
		return 1;
	return tap_done();
}
