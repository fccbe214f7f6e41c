/* Kernel and initrd paths; see assets.h. */
#include "assets.h"
#include "statedir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $env, else the first of rel (relative to sporectl's directory) that can
 * be read. */
static int find_asset(const char *env, const char *const *rel, char *out, size_t n)
{
	char exe[PATH_MAX];
	const char *e = getenv(env);
	if (e && *e) {
		snprintf(out, n, "%s", e);
		return 0;
	}
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; rel[i]; i++) {
			if ((size_t)snprintf(out, n, "%s/%s", exe, rel[i]) < n && access(out, R_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

int spore_asset_kernel(char *out, size_t n)
{
	static const char *const rel[] = {"../../.cache/kernel/spore-vmlinuz",
					  "../share/spore/vmlinuz", NULL};
	return find_asset("SPORE_KERNEL", rel, out, n);
}

int spore_asset_initrd(char *out, size_t n)
{
	static const char *const rel[] = {"../container/sporeinit.cpio",
					  "../libexec/spore/sporeinit.cpio", NULL};
	return find_asset("SPORE_INITRD", rel, out, n);
}

const char *spore_kernel_cache_dir(void)
{
	static char dir[4096];
	snprintf(dir, sizeof(dir), "%s/kernels", spore_state_default_root());
	return dir;
}
