/* The control channel's frames; see include/spore/chan_proto.h. */
#include <spore/chan_proto.h>

#include <string.h>

/* The rules of each type, for both sides: the payload's size and content
 * and which streams it may name. NULL when they hold. */
static const char *check(uint8_t type, uint8_t stream, const uint8_t *p, size_t len)
{
	switch (type) {
	case SPORE_CHAN_HELLO:
		if (stream)
			return "HELLO on a session's stream";
		return len == 2 ? NULL : "HELLO is not 2 bytes";
	case SPORE_CHAN_EXEC_ITEM:
		if (len < 1)
			return "empty EXEC_ITEM";
		if (p[0] != SPORE_CHAN_ITEM_ARG && p[0] != SPORE_CHAN_ITEM_ENV &&
		    p[0] != SPORE_CHAN_ITEM_USER && p[0] != SPORE_CHAN_ITEM_WORKDIR)
			return "EXEC_ITEM of an unknown kind";
		if (memchr(p + 1, '\0', len - 1))
			return "EXEC_ITEM with a NUL byte";
		break;
	case SPORE_CHAN_EXEC_RUN:
		if (len < 1 || (p[0] & ~SPORE_CHAN_RUN_FLAGS))
			return "EXEC_RUN without known flags";
		if ((p[0] & SPORE_CHAN_RUN_TOP) && (p[0] & ~SPORE_CHAN_RUN_TOP))
			return "EXEC_RUN with TOP and other flags";
		if (len != ((p[0] & SPORE_CHAN_RUN_TTY) ? 5u : 1u))
			return "EXEC_RUN of the wrong size for its flags";
		break;
	case SPORE_CHAN_STDERR:
		/* Stream 0: the container's own stderr (never its EOF). */
		if (!stream)
			return len ? NULL : "an empty STDERR on stream 0";
		break;
	case SPORE_CHAN_STDIN:
	case SPORE_CHAN_STDOUT:
		break;
	case SPORE_CHAN_EXIT:
		if (len != 1)
			return "EXIT is not 1 byte";
		break;
	case SPORE_CHAN_CLOSE:
		if (len)
			return "CLOSE with a payload";
		break;
	case SPORE_CHAN_RESIZE:
		if (len != 4)
			return "RESIZE is not 4 bytes";
		break;
	case SPORE_CHAN_STDIN_ACK:
		if (len != 2 || (!p[0] && !p[1]))
			return "STDIN_ACK is not 2 bytes of a count above 0";
		break;
	default:
		return "unknown frame type";
	}
	return stream ? NULL : "a session's frame on stream 0";
}

size_t spore_chan_encode(void *buf, size_t cap, uint8_t type, uint8_t stream, const void *payload,
			 size_t len)
{
	uint8_t *b = buf;

	if (len > SPORE_CHAN_MAX_PAYLOAD || cap < SPORE_CHAN_HDR + len ||
	    check(type, stream, payload, len))
		return 0;
	b[0] = type;
	b[1] = stream;
	b[2] = (uint8_t)(len & 0xff);
	b[3] = (uint8_t)(len >> 8);
	if (len)
		memmove(b + SPORE_CHAN_HDR, payload, len);
	return SPORE_CHAN_HDR + len;
}

int spore_chan_decode(const void *buf, size_t n, struct spore_chan_msg *m, const char **why)
{
	const uint8_t *b = buf;

	*why = NULL;
	if (n < SPORE_CHAN_HDR)
		return 0;
	size_t len = (size_t)b[2] | (size_t)b[3] << 8;
	if (len > SPORE_CHAN_MAX_PAYLOAD) {
		*why = "payload longer than the maximum";
		return -1;
	}
	/* The type is checked before its payload has come: garbage is
	 * refused at once, not after up to a frame's worth of waiting. */
	if (b[0] == 0 || b[0] >= SPORE_CHAN_TYPE_END) {
		*why = "unknown frame type";
		return -1;
	}
	if (n < SPORE_CHAN_HDR + len)
		return 0;
	if ((*why = check(b[0], b[1], b + SPORE_CHAN_HDR, len)))
		return -1;
	*m = (struct spore_chan_msg){.type = b[0], .stream = b[1], .len = (uint16_t)len,
				     .payload = b + SPORE_CHAN_HDR};
	return (int)(SPORE_CHAN_HDR + len);
}

bool spore_chan_from_guest(uint8_t type)
{
	return type == SPORE_CHAN_HELLO || type == SPORE_CHAN_STDOUT ||
	       type == SPORE_CHAN_STDERR || type == SPORE_CHAN_EXIT || type == SPORE_CHAN_STDIN_ACK;
}

uint16_t spore_chan_hello_version(const struct spore_chan_msg *m)
{
	return spore_chan_u16(m->payload);
}

uint16_t spore_chan_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void spore_chan_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}
