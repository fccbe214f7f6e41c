/* Hostname, /etc/hosts and /etc/resolv.conf, written into the overlay (the
 * image's own files are replaced, as docker's bind mounts hide them). Runs
 * after the switch, so paths resolve inside the container. */
#include "init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *path, const char *text, size_t len)
{
	int fd;

	unlink(path); /* never write through a link the image placed there */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		die("write %s: %s", path, strerror(errno));
	close(fd);
}

void setup_identity(const struct spore_bundle *b)
{
	static char buf[2048];
	char a[INET6_ADDRSTRLEN];
	size_t n = 0;
	const char *host = b->hostname ? b->hostname : "localhost";

	if (b->hostname && sethostname(b->hostname, strlen(b->hostname)) < 0)
		die("sethostname: %s", strerror(errno));
	mkdir("/etc", 0755);

	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (b->has_ipv4 && inet_ntop(AF_INET, b->ipv4.addr, a, sizeof(a)))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", a, host);
	if (b->has_ipv6 && inet_ntop(AF_INET6, b->ipv6.addr, a, sizeof(a)))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", a, host);
	if (!b->has_ipv4 && !b->has_ipv6 && b->hostname)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "127.0.1.1\t%s\n", host);
	write_file("/etc/hosts", buf, n);

	if (b->ndns == 0)
		return;
	n = 0;
	for (unsigned i = 0; i < b->ndns; i++)
		if (inet_ntop(b->dns[i].len == 4 ? AF_INET : AF_INET6, b->dns[i].addr, a, sizeof(a)))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "nameserver %s\n", a);
	write_file("/etc/resolv.conf", buf, n);
}
