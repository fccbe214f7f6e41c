/* sporectl <-> spored messages; see include/spore/svc_proto.h. */
#include <spore/svc_proto.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int uuid_ok(const char *u)
{
	for (int i = 0; i < 36; i++) {
		char c = u[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static int text_ok(const uint8_t *p, size_t n)
{
	if (n == 0 || n > SPORE_SVC_MAX_TEXT)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static const char *const phase_names[SPORE_LAUNCH_NPHASES] = {
	[SPORE_LAUNCH_IMAGE] = "image",     [SPORE_LAUNCH_RECORD] = "record",
	[SPORE_LAUNCH_BUNDLE] = "bundle",   [SPORE_LAUNCH_DISKS] = "disks",
	[SPORE_LAUNCH_BUILD] = "build",     [SPORE_LAUNCH_DEVICES] = "devices",
	[SPORE_LAUNCH_BOOT] = "boot",       [SPORE_LAUNCH_RUNNING] = "running",
};

const char *spore_launch_phase_name(int phase)
{
	return phase >= 0 && phase < SPORE_LAUNCH_NPHASES ? phase_names[phase] : NULL;
}

enum spore_launch_phase spore_launch_phase_of(const char *step)
{
	static const struct {
		const char *step;
		enum spore_launch_phase p;
	} map[] = {
		{"image", SPORE_LAUNCH_IMAGE},	   {"record", SPORE_LAUNCH_RECORD},
		{"bundle", SPORE_LAUNCH_BUNDLE},   {"vbd", SPORE_LAUNCH_DEVICES},
		{"vif", SPORE_LAUNCH_DEVICES},	   {"unpause", SPORE_LAUNCH_BOOT},
		{"console", SPORE_LAUNCH_BOOT},	   {"vif-up", SPORE_LAUNCH_BOOT},
		{"record-running", SPORE_LAUNCH_RUNNING},
	};
	if (!strncmp(step, "loop-", 5))
		return SPORE_LAUNCH_DISKS;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(step, map[i].step))
			return map[i].p;
	return SPORE_LAUNCH_BUILD;
}

/* Times a sender measured: within a day, none for a phase not reached, a
 * total that holds them all. */
static int launched_ok(const uint8_t *p)
{
	struct spore_svc_launched m;
	uint64_t sum = 0;

	memcpy(&m, p, sizeof(m));
	if (m.failed > 1 || !m.reached || m.reached >= 1u << SPORE_LAUNCH_NPHASES ||
	    m.total_ns > SPORE_LAUNCH_MAX_NS)
		return 0;
	for (int i = 0; i < SPORE_LAUNCH_NPHASES; i++) {
		if ((!(m.reached >> i & 1) && m.ns[i]) || m.ns[i] > SPORE_LAUNCH_MAX_NS)
			return 0;
		sum += m.ns[i];
	}
	return sum <= m.total_ns;
}

/* exec's items: kind, text (no NUL, at most an item's maximum), NUL; an
 * argument among them. */
static int exec_items_ok(const uint8_t *p, size_t n)
{
	int args = 0;
	while (n) {
		const uint8_t *nul = memchr(p, '\0', n);
		if (!nul || nul == p || (size_t)(nul - p) - 1 > SPORE_SVC_EXEC_ITEM_MAX)
			return 0;
		if (p[0] == 'a')
			args++;
		else if (p[0] != 'e' && p[0] != 'u' && p[0] != 'w')
			return 0;
		n -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	return args > 0;
}

int spore_svc_parse(const void *buf, size_t n, struct spore_svc_msg *m)
{
	struct spore_svc_hdr h;
	int ok;

	if (n < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	if (h.version != SPORE_SVC_VERSION || h.len != n - sizeof(h) ||
	    h.len > SPORE_SVC_MAX_PAYLOAD)
		return -EBADMSG;
	const uint8_t *p = (const uint8_t *)buf + sizeof(h);
	switch (h.type) {
	case SPORE_SVC_PING:
	case SPORE_SVC_ATTACHED:
	case SPORE_SVC_EOF:
		ok = h.len == 0;
		break;
	case SPORE_SVC_PONG:
		ok = h.len == sizeof(struct spore_svc_pong);
		break;
	case SPORE_SVC_ATTACH:
		ok = h.len == sizeof(struct spore_svc_attach) && uuid_ok((const char *)p);
		break;
	case SPORE_SVC_LAUNCHED:
		ok = h.len == sizeof(struct spore_svc_launched) && launched_ok(p);
		break;
	case SPORE_SVC_OUTPUT:
	case SPORE_SVC_OUTPUT_ERR:
	case SPORE_SVC_INPUT:
		ok = h.len > 0;
		break;
	case SPORE_SVC_EXEC: {
		struct spore_svc_exec x;
		ok = h.len >= sizeof(x) && uuid_ok((const char *)p);
		if (!ok)
			break;
		memcpy(&x, p, sizeof(x));
		if (x.flags & SPORE_SVC_EXEC_TOP)
			ok = x.flags == SPORE_SVC_EXEC_TOP && h.len == sizeof(x);
		else
			ok = !(x.flags & ~(uint32_t)(SPORE_SVC_EXEC_STDIN_OPEN | SPORE_SVC_EXEC_TTY)) &&
			     exec_items_ok(p + sizeof(x), h.len - sizeof(x));
		break;
	}
	case SPORE_SVC_EXEC_RESIZE:
		ok = h.len == sizeof(struct spore_svc_winsize);
		break;
	case SPORE_SVC_EXEC_STDIN:
		ok = 1;
		break;
	case SPORE_SVC_EXEC_STDOUT:
	case SPORE_SVC_EXEC_STDERR:
		ok = h.len > 0;
		break;
	case SPORE_SVC_EXEC_EXIT: {
		uint32_t code;
		ok = h.len == sizeof(code);
		if (ok) {
			memcpy(&code, p, sizeof(code));
			ok = code <= 255;
		}
		break;
	}
	case SPORE_SVC_ERROR: {
		struct spore_svc_error_hdr e;
		ok = h.len > sizeof(e) && text_ok(p + sizeof(e), h.len - sizeof(e));
		if (ok) {
			memcpy(&e, p, sizeof(e));
			ok = e.code > 0 && e.code < 4096;
		}
		break;
	}
	default:
		ok = 0;
	}
	if (!ok)
		return -EBADMSG;
	m->type = h.type;
	m->len = h.len;
	m->payload = p;
	return 0;
}

int spore_svc_send(int fd, enum spore_svc_type type, const void *payload, size_t len,
		   int nonblocking)
{
	struct spore_svc_hdr h = {.type = (uint16_t)type, .version = SPORE_SVC_VERSION,
				  .len = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (len > SPORE_SVC_MAX_PAYLOAD)
		return -EMSGSIZE;
	for (;;) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
		if (w >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int spore_svc_send_error(int fd, int code, const char *fmt, ...)
{
	uint8_t buf[sizeof(struct spore_svc_error_hdr) + SPORE_SVC_MAX_TEXT + 1];
	struct spore_svc_error_hdr e = {.code = (uint32_t)(code < 0 ? -code : code)};
	va_list ap;

	memcpy(buf, &e, sizeof(e));
	va_start(ap, fmt);
	int n = vsnprintf((char *)buf + sizeof(e), SPORE_SVC_MAX_TEXT + 1, fmt, ap);
	va_end(ap);
	if (n <= 0)
		n = snprintf((char *)buf + sizeof(e), SPORE_SVC_MAX_TEXT + 1, "error");
	if (n > SPORE_SVC_MAX_TEXT)
		n = SPORE_SVC_MAX_TEXT;
	/* Only printable ASCII travels (the receiver refuses anything else). */
	for (int i = 0; i < n; i++) {
		uint8_t *c = &buf[sizeof(e) + i];
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	}
	return spore_svc_send(fd, SPORE_SVC_ERROR, buf, sizeof(e) + (size_t)n, 1);
}

int spore_svc_recv(int fd, void *buf, struct spore_svc_msg *m, struct spore_err *err)
{
	ssize_t n;
	struct iovec iov = {buf, SPORE_SVC_MAX_MSG};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : spore_err_set(err, errno, "spored socket");
	if (n == 0)
		return 0;
	if ((mh.msg_flags & MSG_TRUNC) || spore_svc_parse(buf, (size_t)n, m) < 0)
		return spore_err_setx(err, EBADMSG, "malformed message on spored's socket (%zd bytes)",
				      n);
	return 1;
}

int spore_svc_connect(const char *path, struct spore_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (!path)
		path = SPORE_SVC_SOCK;
	if (strlen(path) >= sizeof(a.sun_path))
		return spore_err_setx(err, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return spore_err_set(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return spore_err_set(err, e, "cannot reach spored at %s (is spored running?)", path);
	}
	return fd;
}

int spore_svc_error_text(const struct spore_svc_msg *m, char *out)
{
	struct spore_svc_error_hdr e;
	memcpy(&e, m->payload, sizeof(e));
	size_t n = m->len - sizeof(e);
	memcpy(out, m->payload + sizeof(e), n);
	out[n] = '\0';
	return (int)e.code;
}
