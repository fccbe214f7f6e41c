/* xenstore from inside the guest: the kernel's /dev/xen/xenbus speaks the
 * xenstore wire protocol (xen/io/xs_wire.h). Requests are synchronous; watch
 * events that arrive meanwhile are only counted, since the one watch we set
 * (control/shutdown) needs no more than "something was written". */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

static int xb = -1;
static uint32_t req_id;
static unsigned events;
static char payload[XENSTORE_PAYLOAD_MAX + 1];

int xb_fd(void)
{
	return xb;
}

unsigned xb_events(void)
{
	return events;
}

int xb_open(void)
{
	if (xb >= 0)
		return 0;
	xb = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
	return xb < 0 ? -errno : 0;
}

static int read_full(void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(xb, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Reads one message into hdr/payload; counts watch events. */
static int recv_msg(struct xsd_sockmsg *hdr)
{
	if (read_full(hdr, sizeof(*hdr)) < 0 || hdr->len > XENSTORE_PAYLOAD_MAX)
		return -EIO;
	if (read_full(payload, hdr->len) < 0)
		return -EIO;
	payload[hdr->len] = '\0';
	/* Only the stop watch's events count ("path\0token\0"); the start
	 * gate's only wake the poll. */
	if (hdr->type == XS_WATCH_EVENT) {
		size_t plen = strnlen(payload, hdr->len);
		if (plen < hdr->len && !strcmp(payload + plen + 1, XB_STOP_TOKEN))
			events++;
	}
	return 0;
}

int xb_pump(void)
{
	struct xsd_sockmsg hdr;

	return xb < 0 ? -EBADF : recv_msg(&hdr);
}

static int request(uint32_t type, const char *a, size_t alen, const char *b, size_t blen)
{
	struct {
		struct xsd_sockmsg hdr;
		char body[XENSTORE_PAYLOAD_MAX];
	} msg;
	struct xsd_sockmsg r;

	if (xb < 0)
		return -EBADF;
	if (alen + blen > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	msg.hdr = (struct xsd_sockmsg){.type = type, .req_id = ++req_id, .tx_id = 0,
				       .len = (uint32_t)(alen + blen)};
	memcpy(msg.body, a, alen);
	memcpy(msg.body + alen, b, blen);
	if (write(xb, &msg, sizeof(msg.hdr) + alen + blen) < 0)
		return -errno;
	for (;;) {
		if (recv_msg(&r) < 0)
			return -EIO;
		if (r.type == XS_WATCH_EVENT || r.req_id != req_id)
			continue;
		return r.type == XS_ERROR ? -EACCES : 0;
	}
}

int xb_write(const char *path, const char *val)
{
	return request(XS_WRITE, path, strlen(path) + 1, val, strlen(val));
}

int xb_read(const char *path, char *val, size_t n)
{
	int r = request(XS_READ, path, strlen(path) + 1, "", 0);

	/* The reply's value is what recv_msg left in payload. */
	if (r == 0)
		snprintf(val, n, "%s", payload);
	return r;
}

int xb_watch(const char *path, const char *token)
{
	return request(XS_WATCH, path, strlen(path) + 1, token, strlen(token) + 1);
}
