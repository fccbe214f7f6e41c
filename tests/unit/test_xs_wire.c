/* xenstore wire protocol: encoding of every op, framing, partial reads,
 * error mapping, watch events, DIRECTORY_PART assembly, limits. */
#include <spore/xs_wire.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static char buf[SPORE_XS_HDR_LEN + XENSTORE_PAYLOAD_MAX + 64];

/* Builds a raw message as a daemon would send it. */
static size_t mk(char *out, uint32_t type, uint32_t req, uint32_t tx, const void *body,
		 uint32_t len)
{
	struct xsd_sockmsg h = {type, req, tx, len};
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), body, len);
	return sizeof(h) + len;
}

static void test_encode_ops(void)
{
	struct spore_err err = {0};
	struct xsd_sockmsg h;
	static const struct {
		uint32_t type;
		const char *strs[4];
		size_t n;
		const char *raw;
		const char *want;
		size_t want_len;
	} cases[] = {
		{XS_READ, {"/a/b"}, 1, NULL, "/a/b\0", 5},
		{XS_DIRECTORY, {"/a"}, 1, NULL, "/a\0", 3},
		{XS_GET_PERMS, {"/a"}, 1, NULL, "/a\0", 3},
		{XS_MKDIR, {"/a"}, 1, NULL, "/a\0", 3},
		{XS_RM, {"/a"}, 1, NULL, "/a\0", 3},
		{XS_WRITE, {"/a"}, 1, "v 1", "/a\0v 1", 6},
		{XS_WATCH, {"/a", "tok"}, 2, NULL, "/a\0tok\0", 7},
		{XS_UNWATCH, {"/a", "tok"}, 2, NULL, "/a\0tok\0", 7},
		{XS_TRANSACTION_START, {""}, 1, NULL, "\0", 1},
		{XS_TRANSACTION_END, {"T"}, 1, NULL, "T\0", 2},
		{XS_INTRODUCE, {"5", "1234", "7"}, 3, NULL, "5\0" "1234\0" "7\0", 9},
		{XS_RELEASE, {"5"}, 1, NULL, "5\0", 2},
		{XS_GET_DOMAIN_PATH, {"5"}, 1, NULL, "5\0", 2},
		{XS_IS_DOMAIN_INTRODUCED, {"5"}, 1, NULL, "5\0", 2},
		{XS_SET_PERMS, {"/a", "n0", "r5"}, 3, NULL, "/a\0n0\0r5\0", 9},
		{XS_DIRECTORY_PART, {"/a", "4093"}, 2, NULL, "/a\0" "4093\0", 8},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t rl = cases[i].raw ? strlen(cases[i].raw) : 0;
		int n = spore_xs_encode(buf, sizeof(buf), cases[i].type, 42, 7, cases[i].strs,
					cases[i].n, cases[i].raw, rl, &err);
		memcpy(&h, buf, sizeof(h));
		ok(n == (int)(16 + cases[i].want_len) && h.type == cases[i].type &&
			   h.req_id == 42 && h.tx_id == 7 && h.len == cases[i].want_len &&
			   !memcmp(buf + 16, cases[i].want, cases[i].want_len),
		   "encode %s", spore_xs_type_name(cases[i].type));
	}
	ok(sizeof(struct xsd_sockmsg) == SPORE_XS_HDR_LEN, "header is 16 bytes");
}

static void test_encode_limits(void)
{
	struct spore_err err = {0};
	static char big[XENSTORE_PAYLOAD_MAX + 1];
	const char *p[] = {"/a"};

	/* "/a\0" is 3 bytes: a value of 4093 fills the payload exactly. */
	memset(big, 'x', sizeof(big));
	is_int(spore_xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, p, 1, big, 4093, &err),
	       16 + 4096, "a 4096-byte payload is accepted");
	is_int(spore_xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, p, 1, big, 4094, &err), -E2BIG,
	       "a 4097-byte payload is refused");
	ok(strstr(err.msg, "over the protocol limit of 4096") != NULL, "with a clear message: %s",
	   err.msg);
	is_int(spore_xs_encode(buf, 20, XS_WRITE, 1, 0, p, 1, big, 10, &err), -ENOBUFS,
	       "a short buffer is refused");
}

static void test_paths(void)
{
	struct spore_err err = {0};
	static char longp[XENSTORE_ABS_PATH_MAX + 2];

	is_int(spore_xs_check_path("/local/domain/0/name", &err), 0, "plain path ok");
	is_int(spore_xs_check_path("/", &err), 0, "root ok");
	is_int(spore_xs_check_path("@releaseDomain", &err), 0, "special watch path ok");
	is_int(spore_xs_check_path("device/vif", &err), 0, "relative path ok");
	is_int(spore_xs_check_path("", &err), -EINVAL, "empty path refused");
	is_int(spore_xs_check_path("/a b", &err), -EINVAL, "space refused");
	is_int(spore_xs_check_path("/a//b", &err), -EINVAL, "empty component refused");
	is_int(spore_xs_check_path("/a/", &err), -EINVAL, "trailing slash refused");
	longp[0] = '/';
	memset(longp + 1, 'a', XENSTORE_ABS_PATH_MAX - 1);
	is_int(spore_xs_check_path(longp, &err), 0, "3072-byte absolute path ok");
	longp[XENSTORE_ABS_PATH_MAX] = 'a';
	is_int(spore_xs_check_path(longp, &err), -ENAMETOOLONG, "3073-byte path refused");
	ok(strstr(err.msg, "3073") && strstr(err.msg, "3072"), "message names both: %s", err.msg);
}

static void test_parse_partial(void)
{
	struct spore_err err = {0};
	struct spore_xs_msg m;
	char two[128];
	size_t l1 = mk(two, XS_READ, 9, 0, "hello", 5);
	size_t l2 = mk(two + l1, XS_WATCH_EVENT, 0, 0, "/a\0tok\0", 7);

	/* The first prefix that does not ask for more bytes must be the whole
	 * message: one line whatever happens. */
	size_t cut = 0;
	while (cut < l1 && spore_xs_parse(two, cut, 4096, &m, &err) == 0)
		cut++;
	is_int(cut, l1, "every prefix of a message asks for more bytes");
	is_int(spore_xs_parse(two, l1, 4096, &m, &err), (int)l1, "a whole message is framed");
	ok(m.type == XS_READ && m.req_id == 9 && m.len == 5 && !memcmp(m.body, "hello", 5),
	   "header and body decoded");
	is_int(spore_xs_parse(two, l1 + 3, 4096, &m, &err), (int)l1,
	       "a message followed by part of the next");
	is_int(spore_xs_parse(two + l1, l2, 4096, &m, &err), (int)l2, "the second message");
	ok(m.type == XS_WATCH_EVENT, "is a watch event");

	struct xsd_sockmsg h = {XS_READ, 1, 0, 4097};
	memcpy(two, &h, sizeof(h));
	is_int(spore_xs_parse(two, sizeof(h), 4096, &m, &err), -EMSGSIZE,
	       "an oversized payload is a protocol error");
	is_int(spore_xs_parse(two, sizeof(h), SPORE_XS_REPLY_MAX, &m, &err), 0,
	       "unless the reader allows large (oxenstored socket) replies");
	h.type = 20;
	h.len = 0;
	memcpy(two, &h, sizeof(h));
	is_int(spore_xs_parse(two, sizeof(h), 4096, &m, &err), -EPROTO, "type 20 is unknown");
	h.type = XS_INVALID;
	memcpy(two, &h, sizeof(h));
	is_int(spore_xs_parse(two, sizeof(h), 4096, &m, &err), -EPROTO, "XS_INVALID refused");
}

static void test_errors(void)
{
	struct spore_err err = {0};
	struct spore_xs_msg m = {.type = XS_ERROR, .body = "ENOENT", .len = 7};
	static const struct {
		const char *s;
		int code;
	} map[] = {
		{"EINVAL", EINVAL}, {"EACCES", EACCES}, {"EEXIST", EEXIST}, {"EISDIR", EISDIR},
		{"ENOENT", ENOENT}, {"ENOMEM", ENOMEM}, {"ENOSPC", ENOSPC}, {"EIO", EIO},
		{"ENOTEMPTY", ENOTEMPTY}, {"ENOSYS", ENOSYS}, {"EROFS", EROFS},
		{"EBUSY", EBUSY}, {"EAGAIN", EAGAIN}, {"EISCONN", EISCONN}, {"E2BIG", E2BIG},
		{"EPERM", EPERM},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		is_int(spore_xs_error_code(map[i].s, strlen(map[i].s) + 1), -map[i].code,
		       "%s maps to -%s", map[i].s, map[i].s);
	is_int(spore_xs_error_code("ENOENT", 6), -ENOENT, "without the NUL too");
	is_int(spore_xs_error_code("EWHAT", 6), -EIO, "unknown error is EIO");
	is_int(spore_xs_error_code("ENOENTX", 8), -EIO, "no prefix match");
	is_int(spore_xs_reply_check(&m, XS_READ, &err), -ENOENT, "error reply gives -ENOENT");
	ok(strstr(err.msg, "ENOENT") != NULL, "message: %s", err.msg);
	m.type = XS_WRITE;
	m.body = "OK";
	m.len = 3;
	is_int(spore_xs_reply_check(&m, XS_READ, &err), -EPROTO, "wrong reply type is EPROTO");
	is_int(spore_xs_reply_check(&m, XS_WRITE, &err), 0, "matching type is fine");
}

static void test_split_and_numbers(void)
{
	const char *v[4];
	uint32_t u;

	is_int(spore_xs_split("a\0bb\0c\0", 7, v, 4), 3, "three names");
	ok(!strcmp(v[0], "a") && !strcmp(v[1], "bb") && !strcmp(v[2], "c"), "in order");
	is_int(spore_xs_split("", 0, v, 4), 0, "empty directory (C xenstored)");
	is_int(spore_xs_split("\0", 1, v, 4), 0, "empty directory with a NUL");
	is_int(spore_xs_split("a\0b", 3, v, 4), -EPROTO, "unterminated last name");
	is_int(spore_xs_split("a\0b\0c\0d\0e\0", 10, v, 2), 5, "counts beyond the array");
	is_int(spore_xs_parse_u32("17", 3, &u), 0, "tx id parsed");
	is_int(u, 17, "tx id 17");
	is_int(spore_xs_parse_u32("4294967296", 11, &u), -EPROTO, "overflow refused");
	is_int(spore_xs_parse_u32("-1", 3, &u), -EPROTO, "sign refused");
	is_int(spore_xs_parse_u32("", 1, &u), -EPROTO, "empty refused");
	is_int(spore_xs_parse_u32("1x", 3, &u), -EPROTO, "junk refused");
}

static void test_watch_event(void)
{
	struct spore_err err = {0};
	const char *p, *t;
	struct spore_xs_msg m = {.type = XS_WATCH_EVENT, .body = "/a/b\0tok\0", .len = 9};

	is_int(spore_xs_parse_watch_event(&m, &p, &t, &err), 0, "watch event parsed");
	is_str(p, "/a/b", "path");
	is_str(t, "tok", "token");
	m.len = 8;
	is_int(spore_xs_parse_watch_event(&m, &p, &t, &err), -EPROTO, "unterminated token");
	m.body = "/a/b\0";
	m.len = 5;
	is_int(spore_xs_parse_watch_event(&m, &p, &t, &err), -EPROTO, "missing token");
	m.body = "\0tok\0";
	is_int(spore_xs_parse_watch_event(&m, &p, &t, &err), -EPROTO, "empty path");
	m.type = XS_READ;
	m.body = "/a\0t\0";
	is_int(spore_xs_parse_watch_event(&m, &p, &t, &err), -EPROTO, "not an event");
}

static void test_dirpart(void)
{
	struct spore_err err = {0};
	struct spore_xs_dirpart dp;

	spore_xs_dirpart_init(&dp);
	is_int(spore_xs_dirpart_feed(&dp, "7\0a\0b\0", 6, &err), 0, "first part, more to come");
	is_int(dp.len, 4, "offset advances by the names' bytes");
	is_int(spore_xs_dirpart_feed(&dp, "7\0c\0\0", 5, &err), 1, "last part ends the list");
	is_int(dp.len, 6, "without the end marker");
	ok(dp.len == 6 && !memcmp(dp.names, "a\0b\0c\0", 6), "names assembled");
	spore_xs_dirpart_free(&dp);

	spore_xs_dirpart_init(&dp);
	is_int(spore_xs_dirpart_feed(&dp, "3\0\0", 3, &err), 1, "empty directory");
	is_int(dp.len, 0, "no names");
	spore_xs_dirpart_free(&dp);

	/* The list ended exactly at a part boundary: the next request is past
	 * the end and gets only the marker. */
	spore_xs_dirpart_init(&dp);
	is_int(spore_xs_dirpart_feed(&dp, "3\0x\0", 4, &err), 0, "part ending on a boundary");
	is_int(spore_xs_dirpart_feed(&dp, "3\0\0", 3, &err), 1, "marker-only reply ends it");
	ok(dp.len == 2 && !memcmp(dp.names, "x\0", 2), "one name");
	spore_xs_dirpart_free(&dp);

	spore_xs_dirpart_init(&dp);
	is_int(spore_xs_dirpart_feed(&dp, "5\0a\0", 4, &err), 0, "part at generation 5");
	is_int(spore_xs_dirpart_feed(&dp, "6\0b\0\0", 5, &err), 0,
	       "generation changed: restart");
	is_int(dp.len, 0, "from offset 0");
	is_int(spore_xs_dirpart_feed(&dp, "6\0a\0b\0\0", 7, &err), 1, "then complete");
	ok(dp.len == 4 && !memcmp(dp.names, "a\0b\0", 4), "with the new contents");
	spore_xs_dirpart_free(&dp);

	spore_xs_dirpart_init(&dp);
	is_int(spore_xs_dirpart_feed(&dp, "5\0a", 3, &err), -EPROTO, "cut name refused");
	is_int(spore_xs_dirpart_feed(&dp, "5", 1, &err), -EPROTO, "no generation NUL");
	is_int(spore_xs_dirpart_feed(&dp, "5\0", 2, &err), -EPROTO, "no progress refused");
	spore_xs_dirpart_free(&dp);
}

static void test_perms(void)
{
	struct spore_xs_perm p;
	char b[16];

	is_int(spore_xs_perm_parse("r5", &p), 0, "r5 parsed");
	ok(p.perm == 'r' && p.domid == 5, "read for 5");
	is_int(spore_xs_perm_parse("b0", &p), 0, "b0 parsed");
	is_int(spore_xs_perm_parse("x0", &p), -EINVAL, "unknown letter");
	is_int(spore_xs_perm_parse("r", &p), -EINVAL, "no domid");
	is_int(spore_xs_perm_parse("r70000", &p), -EINVAL, "domid too large");
	is_int(spore_xs_perm_parse("r5x", &p), -EINVAL, "junk after domid");
	p.perm = 'w';
	p.domid = 12;
	is_int(spore_xs_perm_format(&p, b, sizeof(b)), 3, "format w12");
	is_str(b, "w12", "as text");
	p.perm = 'q';
	is_int(spore_xs_perm_format(&p, b, sizeof(b)), -EINVAL, "bad letter refused");
}

int main(void)
{
	test_encode_ops();
	test_encode_limits();
	test_paths();
	test_parse_partial();
	test_errors();
	test_split_and_numbers();
	test_watch_event();
	test_dirpart();
	test_perms();
	return tap_done();
}
