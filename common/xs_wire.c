/* xenstore wire protocol: pure encode/decode. See include/spore/xs_wire.h. */
#include <spore/xs_wire.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[XS_CONTROL] = "CONTROL",
	[XS_DIRECTORY] = "DIRECTORY",
	[XS_READ] = "READ",
	[XS_GET_PERMS] = "GET_PERMS",
	[XS_WATCH] = "WATCH",
	[XS_UNWATCH] = "UNWATCH",
	[XS_TRANSACTION_START] = "TRANSACTION_START",
	[XS_TRANSACTION_END] = "TRANSACTION_END",
	[XS_INTRODUCE] = "INTRODUCE",
	[XS_RELEASE] = "RELEASE",
	[XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_WRITE] = "WRITE",
	[XS_MKDIR] = "MKDIR",
	[XS_RM] = "RM",
	[XS_SET_PERMS] = "SET_PERMS",
	[XS_WATCH_EVENT] = "WATCH_EVENT",
	[XS_ERROR] = "ERROR",
	[XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	[XS_RESUME] = "RESUME",
	[XS_SET_TARGET] = "SET_TARGET",
	[XS_RESET_WATCHES] = "RESET_WATCHES",
	[XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

const char *spore_xs_type_name(uint32_t type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	return "UNKNOWN";
}

/* The error strings xenstored sends; it knows no others. */
static const struct {
	int code;
	const char *name;
} xs_errors[] = {
	{EINVAL, "EINVAL"}, {EACCES, "EACCES"}, {EEXIST, "EEXIST"},       {EISDIR, "EISDIR"},
	{ENOENT, "ENOENT"}, {ENOMEM, "ENOMEM"}, {ENOSPC, "ENOSPC"},       {EIO, "EIO"},
	{ENOTEMPTY, "ENOTEMPTY"}, {ENOSYS, "ENOSYS"}, {EROFS, "EROFS"},   {EBUSY, "EBUSY"},
	{EAGAIN, "EAGAIN"}, {EISCONN, "EISCONN"}, {E2BIG, "E2BIG"},       {EPERM, "EPERM"},
};

int spore_xs_check_path(const char *path, struct spore_err *err)
{
	size_t len = strlen(path);

	if (len == 0)
		return spore_err_setx(err, EINVAL, "empty xenstore path");
	if (path[0] == '@') {
		/* Special watch paths: "@releaseDomain", "@introduceDomain" and
		 * sub-paths of them; the daemon judges the name. */
		if (len > XENSTORE_REL_PATH_MAX)
			goto too_long;
	} else if (path[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			goto too_long;
	} else if (len > XENSTORE_REL_PATH_MAX) {
		goto too_long;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (!isalnum(c) && !strchr("/_@-", c))
			return spore_err_setx(err, EINVAL,
					      "xenstore path '%.64s' has a character not allowed "
					      "by the protocol (0x%02x at %zu; allowed: "
					      "A-Z a-z 0-9 / _ @ -)", path, c, i);
		if (c == '/' && (path[i + 1] == '/' || (path[i + 1] == 0 && len > 1)))
			return spore_err_setx(err, EINVAL,
					      "xenstore path '%.64s' has an empty component", path);
	}
	return 0;
too_long:
	return spore_err_setx(err, ENAMETOOLONG,
			      "xenstore path of %zu bytes is over the protocol limit of %d", len,
			      path[0] == '/' ? XENSTORE_ABS_PATH_MAX : XENSTORE_REL_PATH_MAX);
}

int spore_xs_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
		    const char *const *strs, size_t nstrs, const void *raw, size_t rawlen,
		    struct spore_err *err)
{
	size_t len = rawlen;

	for (size_t i = 0; i < nstrs; i++)
		len += strlen(strs[i]) + 1;
	if (len > XENSTORE_PAYLOAD_MAX)
		return spore_err_setx(err, E2BIG,
				      "xenstore %s request of %zu bytes is over the protocol "
				      "limit of %d", spore_xs_type_name(type), len,
				      XENSTORE_PAYLOAD_MAX);
	if (SPORE_XS_HDR_LEN + len > cap)
		return spore_err_setx(err, ENOBUFS, "xenstore request buffer too small");

	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .tx_id = tx_id,
				  .len = (uint32_t)len};
	char *p = buf;
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	for (size_t i = 0; i < nstrs; i++) {
		size_t n = strlen(strs[i]) + 1;
		memcpy(p, strs[i], n);
		p += n;
	}
	if (rawlen)
		memcpy(p, raw, rawlen);
	return (int)(SPORE_XS_HDR_LEN + len);
}

int spore_xs_parse(const void *buf, size_t len, size_t max_payload, struct spore_xs_msg *msg,
		   struct spore_err *err)
{
	struct xsd_sockmsg hdr;

	if (len < sizeof(hdr))
		return 0;
	memcpy(&hdr, buf, sizeof(hdr));
	/* 20 was XS_RESTRICT, removed from the protocol. */
	if (hdr.type >= XS_TYPE_COUNT || hdr.type == XS_SET_TARGET + 1)
		return spore_err_setx(err, EPROTO,
				      "xenstore sent a message of unknown type %u", hdr.type);
	if (hdr.len > max_payload)
		return spore_err_setx(err, EMSGSIZE,
				      "xenstore sent a %u-byte %s payload, over the limit of %zu",
				      hdr.len, spore_xs_type_name(hdr.type), max_payload);
	if (len - sizeof(hdr) < hdr.len)
		return 0;
	msg->type = hdr.type;
	msg->req_id = hdr.req_id;
	msg->tx_id = hdr.tx_id;
	msg->len = hdr.len;
	msg->body = (const char *)buf + sizeof(hdr);
	return (int)(sizeof(hdr) + hdr.len);
}

int spore_xs_error_code(const char *body, size_t len)
{
	/* The name may or may not carry its NUL. */
	size_t n = strnlen(body, len);

	for (size_t i = 0; i < sizeof(xs_errors) / sizeof(xs_errors[0]); i++)
		if (strlen(xs_errors[i].name) == n && !memcmp(body, xs_errors[i].name, n))
			return -xs_errors[i].code;
	return -EIO;
}

int spore_xs_reply_check(const struct spore_xs_msg *msg, uint32_t type, struct spore_err *err)
{
	if (msg->type == XS_ERROR) {
		int code = spore_xs_error_code(msg->body, msg->len);
		size_t n = strnlen(msg->body, msg->len);
		if (code == -EIO && (n != 3 || memcmp(msg->body, "EIO", 3)))
			return spore_err_setx(err, EIO, "xenstore replied with unknown error '%.*s'",
					      (int)(n > 32 ? 32 : n), msg->body);
		return spore_err_set(err, -code, "xenstore replied %.*s", (int)n, msg->body);
	}
	if (msg->type != type)
		return spore_err_setx(err, EPROTO, "xenstore answered %s with %s",
				      spore_xs_type_name(type), spore_xs_type_name(msg->type));
	return 0;
}

int spore_xs_split(const char *body, size_t len, const char **out, size_t n)
{
	size_t count = 0, i = 0;

	while (i < len) {
		const char *s = body + i;
		size_t l = strnlen(s, len - i);
		if (l == len - i)
			return -EPROTO;
		if (l > 0) {
			if (count < n)
				out[count] = s;
			count++;
		}
		i += l + 1;
	}
	return count > INT32_MAX ? -E2BIG : (int)count;
}

int spore_xs_parse_u32(const char *body, size_t len, uint32_t *out)
{
	char tmp[16];
	size_t n = strnlen(body, len);
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -EPROTO;
	memcpy(tmp, body, n);
	tmp[n] = 0;
	if (!isdigit((unsigned char)tmp[0]))
		return -EPROTO;
	errno = 0;
	unsigned long v = strtoul(tmp, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EPROTO;
	*out = (uint32_t)v;
	return 0;
}

int spore_xs_parse_watch_event(const struct spore_xs_msg *msg, const char **path,
			       const char **token, struct spore_err *err)
{
	size_t pl;

	if (msg->type != XS_WATCH_EVENT)
		goto bad;
	pl = strnlen(msg->body, msg->len);
	if (pl == 0 || pl == msg->len)
		goto bad;
	/* The token must be terminated too; anything after it is ignored. */
	if (strnlen(msg->body + pl + 1, msg->len - pl - 1) == msg->len - pl - 1)
		goto bad;
	*path = msg->body;
	*token = msg->body + pl + 1;
	return 0;
bad:
	return spore_err_setx(err, EPROTO, "xenstore sent a malformed watch event");
}

void spore_xs_dirpart_init(struct spore_xs_dirpart *dp)
{
	memset(dp, 0, sizeof(*dp));
}

void spore_xs_dirpart_free(struct spore_xs_dirpart *dp)
{
	free(dp->names);
	spore_xs_dirpart_init(dp);
}

int spore_xs_dirpart_feed(struct spore_xs_dirpart *dp, const char *body, size_t len,
			  struct spore_err *err)
{
	size_t gl = strnlen(body, len);

	if (dp->done)
		return 1;
	if (gl == 0 || gl == len || gl >= sizeof(dp->gen))
		return spore_err_setx(err, EPROTO,
				      "xenstore sent a malformed DIRECTORY_PART reply");
	if (dp->len > 0 && strcmp(dp->gen, body) != 0) {
		/* The directory changed between parts: start over. */
		if (++dp->restarts > 64)
			return spore_err_setx(err, EAGAIN,
					      "xenstore directory keeps changing while listed");
		dp->len = 0;
		memcpy(dp->gen, body, gl + 1);
		return 0;
	}
	memcpy(dp->gen, body, gl + 1);

	const char *chunk = body + gl + 1;
	size_t cl = len - gl - 1;
	if (cl == 0 || chunk[cl - 1] != 0)
		return spore_err_setx(err, EPROTO,
				      "xenstore sent a DIRECTORY_PART reply without whole names");
	if (dp->len + cl > SPORE_XS_DIR_MAX)
		return spore_err_setx(err, E2BIG, "xenstore directory is over %u bytes",
				      SPORE_XS_DIR_MAX);
	char *n = realloc(dp->names, dp->len + cl);
	if (!n)
		return spore_err_set(err, ENOMEM, "DIRECTORY_PART");
	dp->names = n;
	memcpy(dp->names + dp->len, chunk, cl);
	dp->len += cl;

	/* An empty name ends the list: a chunk that is just "\0" (offset past
	 * the end) or one ending in "\0\0". */
	if (dp->len == 1 || (dp->len >= 2 && dp->names[dp->len - 2] == 0)) {
		dp->len--;
		dp->done = 1;
		return 1;
	}
	return 0;
}

int spore_xs_perm_parse(const char *s, struct spore_xs_perm *p)
{
	char *end;

	if (!strchr("nrwb", s[0]) || s[0] == 0 || !isdigit((unsigned char)s[1]))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s + 1, &end, 10);
	if (errno || *end || v > UINT16_MAX)
		return -EINVAL;
	p->perm = s[0];
	p->domid = (uint32_t)v;
	return 0;
}

int spore_xs_perm_format(const struct spore_xs_perm *p, char *buf, size_t n)
{
	if (!p->perm || !strchr("nrwb", p->perm) || p->domid > UINT16_MAX)
		return -EINVAL;
	int r = snprintf(buf, n, "%c%u", p->perm, p->domid);
	if (r < 0 || (size_t)r >= n)
		return -ENOBUFS;
	return r;
}
