/* Kernel modules for distro kernels, which build blkfront, netfront,
 * squashfs and overlay as modules. The initrd lists them in dependency order
 * in /lib/modules/load.list (one file name per line); a kernel that has them
 * built in gets an initrd without the list. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LIST "/lib/modules/load.list"

static void load_one(const char *name)
{
	char path[128];
	int fd;

	if (!*name || strchr(name, '/') || snprintf(path, sizeof(path), "/lib/modules/%s", name) >=
						    (int)sizeof(path)) {
		warn("bad module name in %s", LIST);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warn("module %s: %s", path, strerror(errno));
		return;
	}
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		warn("load module %s: %s", name, strerror(errno));
	close(fd);
}

void load_modules(void)
{
	static char list[4096];
	int fd = open(LIST, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (n <= 0)
		return;
	list[n] = '\0';
	for (char *line = list, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		load_one(line);
		if (!nl)
			break;
	}
}
