/* guest-xs: xenstore requests from inside a guest through the kernel's
 * /dev/xen/xenbus, for the permission tests (tests/e2e/t/42-guest-perms.sh).
 * Static (musl): it runs in a bare busybox initrd. Paths without a leading
 * slash are relative to the guest's own /local/domain/<domid>.
 *
 * Usage: guest-xs read|ls|rm PATH | write PATH VALUE | fill PATH N | watch PATH N
 * Prints the value (read), the children (ls), and on failure xenstored's
 * error name (EACCES, ENOENT, ...) on stdout. Exit 0 on success, 1 if
 * xenstored refused, 2 on a local error. The hostile-guest tests
 * (tests/e2e/t/80-hostile-xenstore.sh) flood: `fill` writes PATH/0 ..
 * PATH/N-1 and `watch` sets N watches on PATH/0 .., each until xenstored
 * first refuses, and print "FILL|WATCH COUNT ERROR" (ERROR xenstored's
 * error name, or errno-N when the guest kernel's xenbus device refused the
 * write: it handles watches itself; "none" when all N went through);
 * `watch` then holds its watches until it is killed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

static int xb = -1;
static char reply[XENSTORE_PAYLOAD_MAX + 1];

static int io_full(int write_it, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write_it ? write(xb, (char *)buf + done, len - done)
				     : read(xb, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Sends one request of up to two parts; the reply lands in reply[]. */
static int request(uint32_t type, const char *a, size_t alen, const char *b, size_t blen,
		   struct xsd_sockmsg *r)
{
	static char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg h = {.type = type, .req_id = 1, .len = (uint32_t)(alen + blen)};

	if (alen + blen > XENSTORE_PAYLOAD_MAX)
		return -1;
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), a, alen);
	memcpy(msg + sizeof(h) + alen, b, blen);
	/* The kernel's xenbus device takes a whole message per write; it
	 * handles WATCH itself and refuses one xenstored refused with errno. */
	if (write(xb, msg, sizeof(h) + alen + blen) < 0)
		return -1;
	do {
		if (io_full(0, r, sizeof(*r)) < 0 || r->len > XENSTORE_PAYLOAD_MAX ||
		    io_full(0, reply, r->len) < 0)
			return -1;
		reply[r->len] = '\0';
	} while (r->type == XS_WATCH_EVENT);
	return 0;
}

/* fill/watch: one request per node until xenstored refuses one. */
static int flood(int watch, const char *path, unsigned long n)
{
	char node[256], token[32];
	struct xsd_sockmsg r;
	const char *why = "none";
	char errbuf[32];
	unsigned long i;

	for (i = 0; i < n; i++) {
		int len = snprintf(node, sizeof(node), "%s/%lu", path, i);
		if (len < 0 || (size_t)len >= sizeof(node))
			return 2;
		snprintf(token, sizeof(token), "t%lu", i);
		int rc = watch ? request(XS_WATCH, node, (size_t)len + 1, token, strlen(token) + 1, &r)
			       : request(XS_WRITE, node, (size_t)len + 1, "x", 1, &r);
		if (rc < 0) {
			snprintf(errbuf, sizeof(errbuf), "errno-%d", errno);
			why = errbuf;
			break;
		}
		if (r.type == XS_ERROR) {
			why = reply;
			break;
		}
	}
	printf("%s %lu %s\n", watch ? "WATCH" : "FILL", i, why);
	fflush(stdout);
	if (watch)
		for (;;)
			pause();
	return 0;
}

int main(int argc, char **argv)
{
	struct xsd_sockmsg r;
	int rc;

	if (argc < 3 || (!strcmp(argv[1], "write") || !strcmp(argv[1], "fill") ||
				 !strcmp(argv[1], "watch")
			 ? argc != 4
			 : argc != 3)) {
		fprintf(stderr, "usage: guest-xs read|ls|rm PATH | write PATH VALUE | fill PATH N | "
				"watch PATH N\n");
		return 2;
	}
	if ((xb = open("/dev/xen/xenbus", O_RDWR)) < 0) {
		perror("guest-xs: /dev/xen/xenbus");
		return 2;
	}
	const char *op = argv[1], *path = argv[2];
	size_t plen = strlen(path) + 1;
	if (!strcmp(op, "fill") || !strcmp(op, "watch"))
		return flood(!strcmp(op, "watch"), path, strtoul(argv[3], NULL, 10));
	if (!strcmp(op, "read"))
		rc = request(XS_READ, path, plen, "", 0, &r);
	else if (!strcmp(op, "ls"))
		rc = request(XS_DIRECTORY, path, plen, "", 0, &r);
	else if (!strcmp(op, "rm"))
		rc = request(XS_RM, path, plen, "", 0, &r);
	else if (!strcmp(op, "write"))
		rc = request(XS_WRITE, path, plen, argv[3], strlen(argv[3]), &r);
	else {
		fprintf(stderr, "guest-xs: unknown operation '%s'\n", op);
		return 2;
	}
	if (rc < 0) {
		perror("guest-xs: xenbus");
		return 2;
	}
	if (r.type == XS_ERROR) {
		printf("%s\n", reply);
		return 1;
	}
	if (r.type == XS_DIRECTORY) {
		for (uint32_t i = 0; i < r.len; i++)
			if (reply[i] == '\0')
				reply[i] = '\n';
	}
	if (r.type == XS_READ || r.type == XS_DIRECTORY)
		printf("%s%s", reply, r.type == XS_READ ? "\n" : "");
	return 0;
}
