/* The layer merge on real tar streams made with libarchive: whiteouts,
 * opaque directories, replacements, metadata, and hostile entries. */
#include <errno.h>
#include "layer_merge.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include "tap.h"

#define HL 0100 /* pseudo-type: hard link */

struct ent {
	const char *path;
	int type; /* AE_IF*, or HL */
	unsigned mode;
	const char *data; /* file data, symlink or hard link target */
	int uid, gid;
};

#define END {NULL, 0, 0, NULL, 0, 0}
#define F(p, d) {p, AE_IFREG, 0644, d, 0, 0}
#define D(p) {p, AE_IFDIR, 0755, NULL, 0, 0}
#define L(p, t) {p, AE_IFLNK, 0777, t, 0, 0}
#define H(p, t) {p, HL, 0644, t, 0, 0}

/* data as one gzip member (zlib's deflate: not the ISA-L that reads it),
 * appended to fd. */
static int gz_member(int fd, const void *data, size_t n)
{
	z_stream z = {0};
	size_t cap = compressBound(n) + 64;
	unsigned char *out = malloc(cap);
	int r = -1;
	if (out && deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
		z.next_in = (unsigned char *)data;
		z.avail_in = (uInt)n;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END &&
		    write(fd, out, cap - z.avail_out) == (ssize_t)(cap - z.avail_out))
			r = 0;
		deflateEnd(&z);
	}
	free(out);
	return r;
}

/* A layer as a tar (gzip'd when gz) in a memfd, rewound. */
static int layer(const struct ent *es, int gz)
{
	int fd = memfd_create("layer", 0);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_open_fd(a, fd);
	for (; es->path; es++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, es->path);
		archive_entry_set_perm(e, es->mode);
		archive_entry_set_uid(e, es->uid);
		archive_entry_set_gid(e, es->gid);
		if (es->type == HL) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, es->data);
		} else {
			archive_entry_set_filetype(e, es->type);
		}
		if (es->type == AE_IFLNK)
			archive_entry_set_symlink(e, es->data);
		if (es->type == AE_IFCHR)
			archive_entry_set_rdev(e, makedev(1, 3));
		if (es->type == AE_IFREG && es->data)
			archive_entry_set_size(e, (la_int64_t)strlen(es->data));
		if (!strcmp(es->path, "x/attr"))
			archive_entry_xattr_add_entry(e, "user.spore", "yes", 3);
		archive_write_header(a, e);
		if (es->type == AE_IFREG && es->data)
			archive_write_data(a, es->data, strlen(es->data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The merged tar, read back as "path type mode uid:gid data" lines. */
static char out[16384];
static struct spore_err err;

static int merge(const struct ent *const *layers, size_t n, const struct spore_merge_limits *lim)
{
	int fds[8], ofd = memfd_create("out", 0);
	for (size_t i = 0; i < n; i++)
		fds[i] = layer(layers[i], (int)(i % 2));
	memset(&err, 0, sizeof(err));
	int r = spore_layer_merge(fds, n, NULL, ofd, lim, NULL, &err);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	out[0] = '\0';
	if (r == 0) {
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		archive_read_support_format_tar(a);
		lseek(ofd, 0, SEEK_SET);
		archive_read_open_fd(a, ofd, 10240);
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			char data[256] = "";
			const char *kind = "?";
			switch (archive_entry_filetype(e)) {
			case AE_IFREG: kind = "f"; break;
			case AE_IFDIR: kind = "d"; break;
			case AE_IFLNK: kind = "l"; break;
			case AE_IFCHR: kind = "c"; break;
			case AE_IFIFO: kind = "p"; break;
			}
			if (archive_entry_hardlink(e)) {
				kind = "h";
				snprintf(data, sizeof(data), "%s", archive_entry_hardlink(e));
			} else if (archive_entry_symlink(e)) {
				snprintf(data, sizeof(data), "%s", archive_entry_symlink(e));
			} else {
				la_ssize_t k = archive_read_data(a, data, sizeof(data) - 1);
				data[k > 0 ? k : 0] = '\0';
			}
			const char *xn;
			const void *xv;
			size_t xs;
			if (archive_entry_xattr_reset(e) && archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK)
				snprintf(data + strlen(data), sizeof(data) - strlen(data), "[%s=%.*s]", xn, (int)xs,
					 (const char *)xv);
			if (archive_entry_filetype(e) == AE_IFCHR)
				snprintf(data, sizeof(data), "%u,%u", major(archive_entry_rdev(e)),
					 minor(archive_entry_rdev(e)));
			char name[256];
			snprintf(name, sizeof(name), "%s", archive_entry_pathname(e));
			if (name[0] && name[strlen(name) - 1] == '/') /* the tar writer adds it */
				name[strlen(name) - 1] = '\0';
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s %s %o %lld:%lld %s\n",
				 name, kind, (unsigned)archive_entry_perm(e),
				 (long long)archive_entry_uid(e), (long long)archive_entry_gid(e), data);
		}
		archive_read_free(a);
	}
	close(ofd);
	return r;
}

static int has(const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "%s\n", line);
	return (!strncmp(out, want, strlen(want))) || strstr(out, want) != NULL;
}

static int has_path(const char *path)
{
	char want[512];
	snprintf(want, sizeof(want), "\n%s ", path);
	return !strncmp(out, want + 1, strlen(want + 1)) || strstr(out, want);
}

static void refused(const struct ent *const *layers, size_t n, const char *why, const char *name)
{
	int r = merge(layers, n, NULL);
	ok(r < 0 && strstr(err.msg, why), "%s refused: %s", name, err.msg);
}

/* An open_layer that hands out dups of fds, refusing layer 1 (index 0),
 * and records the order it was asked in (one hex digit per call). */
struct opener {
	int fds[2];
	unsigned asked, calls;
};

static int open_layer(void *arg, size_t i, struct spore_err *e)
{
	struct opener *o = arg;
	o->asked |= (unsigned)(i + 1) << (4 * o->calls++);
	if (i == 0)
		return spore_err_set(e, ECONNRESET, "layer 1: fetching");
	return dup(o->fds[i]);
}

int main(void)
{
	/* Layer 1 (bottom) and 2: overrides, whiteouts, opaque dirs, replacements. */
	static const struct ent l1[] = {
		D("./"), D("etc"), F("etc/keep", "k1"), F("etc/over", "old"), F("etc/gone", "g"),
		D("d"), D("d/sub"), F("d/sub/f", "f"), D("o"), F("o/old", "o"),
		D("p"), F("p/q", "q"), L("s", "/target"), F("r", "r"),
		{"x", AE_IFDIR, 0755, NULL, 0, 0},
		{"x/suid", AE_IFREG, 04755, "s", 0, 0},
		{"x/owned", AE_IFREG, 0640, "o", 1000, 1001},
		{"x/null", AE_IFCHR, 0666, NULL, 0, 0},
		{"x/fifo", AE_IFIFO, 0644, NULL, 0, 0},
		{"x/attr", AE_IFREG, 0644, "a", 0, 0},
		F("x/t", "target"), H("x/h", "x/t"), L("x/abs", "../../../../etc/passwd"),
		F("w", "w1"), END};
	static const struct ent l2[] = {
		D("etc"), F("etc/over", "new"), F("etc/.wh.gone", ""), F(".wh.d", ""),
		D("o"), F("o/.wh..wh..opq", ""), F("o/new", "n"), F("p", "now a file"),
		F("s/inside", "i"), D("r"), F("r/child", "c"), F(".wh.w", ""), F("w", "w2"),
		F(".wh..wh.plnk", ""), END};
	const struct ent *two[] = {l1, l2};
	ok(merge(two, 2, NULL) == 0, "two layers merge (%s)", err.msg);
	ok(has("etc/over f 644 0:0 new"), "an upper file wins");
	ok(has("etc/keep f 644 0:0 k1"), "a lower-only file is kept");
	ok(!has_path("etc/gone"), "a .wh. whiteout deletes the lower file");
	ok(!has_path("d") && !has_path("d/sub") && !has_path("d/sub/f"), "a whited-out directory goes with its subtree");
	ok(has("o/new f 644 0:0 n") && !has_path("o/old") && has_path("o"), "an opaque dir hides lower children only");
	ok(has("p f 644 0:0 now a file") && !has_path("p/q"), "a file replaces a lower directory and its subtree");
	ok(has("s/inside f 644 0:0 i") && !has("s l 777 0:0 /target"), "a directory replaces a lower symlink (no write-through)");
	ok(has("r/child f 644 0:0 c") && !has("r f 644 0:0 r"), "a directory replaces a lower file");
	ok(has("w f 644 0:0 w2"), "a whiteout does not hide its own layer's entry");
	ok(has("x/suid f 4755 0:0 s"), "setuid bit kept");
	ok(has("x/owned f 640 1000:1001 o"), "owners kept");
	ok(has("x/null c 666 0:0 1,3"), "char device kept with its numbers");
	ok(has("x/fifo p 644 0:0 "), "FIFO kept");
	ok(has("x/h h 644 0:0 x/t"), "hard link kept");
	ok(has("x/abs l 777 0:0 ../../../../etc/passwd"), "symlink target kept verbatim (resolved only in the guest)");
	ok(has("x/attr f 644 0:0 a[user.spore=yes]"), "xattr kept");
	ok(!strstr(out, ".wh."), "no whiteout files in the output");
	ok(!strstr(out, "\n ") && strncmp(out, " ", 1), "the root entry is left to the squashfs writer");
	int count = 0;
	for (const char *p = out; (p = strstr(p, "etc ")); p++)
		count += p == out || p[-1] == '\n';
	is_int(count, 1, "a directory in two layers appears once");

	/* Three layers: a hard link in the middle layer to a lower target. */
	static const struct ent b1[] = {F("t", "data"), END};
	static const struct ent b2[] = {H("link", "t"), END};
	static const struct ent b3[] = {F("other", "x"), END};
	const struct ent *three[] = {b1, b2, b3};
	ok(merge(three, 3, NULL) == 0 && has("link h 644 0:0 t") && has("t f 644 0:0 data"),
	   "a hard link to a lower layer's file (forward in the stream) is kept (%s)", err.msg);
	static const struct ent b3_replace[] = {F("t", "changed"), END};
	const struct ent *replaced[] = {b1, b2, b3_replace};
	ok(merge(replaced, 3, NULL) == -ENOTSUP && strstr(err.msg, "not supported"),
	   "a hard link whose target a later layer replaces is refused: %s", err.msg);

	/* Hostile input. */
	static const struct ent dotdot[] = {F("../../escaped", "x"), END};
	static const struct ent deep_dotdot[] = {F("a/../../escaped", "x"), END};
	static const struct ent abs[] = {F("/etc/passwd", "x"), END};
	static const struct ent sym_escape[] = {L("etc2", "../../../tmp"), F("etc2/escaped", "x"), END};
	static const struct ent sym_escape_rev[] = {F("etc2/escaped", "x"), L("etc2", "/tmp"), END};
	static const struct ent hl_out[] = {H("evil", "../../../etc/shadow"), END};
	static const struct ent hl_abs[] = {H("evil", "/etc/shadow"), END};
	static const struct ent hl_missing[] = {H("evil", "nothere"), END};
	static const struct ent hl_dir[] = {D("dir"), H("evil", "dir"), END};
	static const struct ent dup[] = {F("a", "1"), F("a", "2"), END};
	static const struct ent bad_wh[] = {F("a/.wh...", ""), END};
	const struct ent *one[1];
#define REFUSE(l, why, name) (one[0] = (l), refused(one, 1, why, name))
	REFUSE(dotdot, "'..'", "'../' path");
	REFUSE(deep_dotdot, "'..'", "'a/../../' path");
	REFUSE(abs, "absolute", "absolute path");
	REFUSE(sym_escape, "not a directory", "write through a symlink of the same layer");
	REFUSE(sym_escape_rev, "both a directory and a non-directory", "symlink over a directory of the same layer");
	REFUSE(hl_out, "outside the image", "hard link to ../");
	REFUSE(hl_abs, "outside the image", "hard link to an absolute path");
	REFUSE(hl_missing, "not in the image", "hard link to a missing file");
	REFUSE(hl_dir, "directory", "hard link to a directory");
	REFUSE(dup, "appears twice", "duplicate path in one layer");
	REFUSE(bad_wh, "invalid whiteout", "whiteout of '..'");
	{
		/* NAME_MAX: 255 bytes is a name, 256 is not. */
		static char n255[300], n256[300];
		memset(n255, 'n', 255);
		memset(n256, 'n', 256);
		struct ent ok255[] = {F(n255, "x"), END}, long256[] = {F(n256, "x"), END};
		one[0] = ok255;
		ok(merge(one, 1, NULL) == 0, "a 255-byte name merges (%s)", err.msg);
		REFUSE(long256, "name or path too long", "a 256-byte name");
		ok(strstr(err.msg, "nnnnnnnnnn...'") != NULL, "the refused path is shown cut: %s", err.msg);
	}

	/* Limits. */
	static const struct ent big[] = {F("a", "0123456789"), F("b", "0123456789"), END};
	struct spore_merge_limits lim = {15, 100, 0};
	one[0] = big;
	ok(merge(one, 1, &lim) == -EFBIG && strstr(err.msg, "more than 15 bytes"), "byte cap: %s", err.msg);
	lim = (struct spore_merge_limits){1u << 20, 1, 0};
	ok(merge(one, 1, &lim) == -EFBIG && strstr(err.msg, "more than 1 files"), "entry cap: %s", err.msg);
	/* Entries of one directory (tar2sqfs is quadratic in them); the
	 * upper layer's replacement of a lower entry counts once. */
	static const struct ent wide_lo[] = {D("w"), F("w/a", "1"), F("w/b", "1"), F("top", "t"), END};
	static const struct ent wide_up[] = {D("w"), F("w/b", "2"), F("w/c", "2"), END};
	static const struct ent wider[] = {D("w"), F("w/d", "3"), END};
	const struct ent *wide[] = {wide_lo, wide_up}, *wide3[] = {wide_lo, wide_up, wider};
	lim = (struct spore_merge_limits){1u << 20, 100, 3};
	ok(merge(wide, 2, &lim) == 0, "a directory at its entry cap merges (%s)", err.msg);
	ok(merge(wide3, 3, &lim) == -EFBIG && strstr(err.msg, "directory '/w' has more than 3 entries"),
	   "one more is refused: %s", err.msg);
	lim = (struct spore_merge_limits){1u << 20, 100, 2};
	ok(merge(wide, 2, &lim) == -EFBIG && strstr(err.msg, "directory '/' has more than 2 entries") == NULL &&
		   strstr(err.msg, "directory '/w'"), "the root's entries count apart: %s", err.msg);

	/* A truncated gzip layer. */
	{
		int fd = layer(l1, 1), t = memfd_create("trunc", 0), ofd = memfd_create("o", 0);
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof(buf));
		ok(n > 100 && write(t, buf, (size_t)n / 2) == n / 2, "made a truncated gzip layer");
		lseek(t, 0, SEEK_SET);
		memset(&err, 0, sizeof(err));
		int r = spore_layer_merge(&t, 1, NULL, ofd, NULL, NULL, &err);
		ok(r < 0 && strstr(err.msg, "layer 1: corrupt or truncated"), "truncated gzip refused: %s", err.msg);
		close(fd);
		close(t);
		close(ofd);
	}
	{
		int t = memfd_create("junk", 0), ofd = memfd_create("o", 0);
		ok(write(t, "this is not a tar archive at all\n", 33) == 33, "made a non-tar layer");
		lseek(t, 0, SEEK_SET);
		int r = spore_layer_merge(&t, 1, NULL, ofd, NULL, NULL, &err);
		ok(r < 0 && strstr(err.msg, "layer 1"), "non-tar layer refused: %s", err.msg);
		close(t);
		close(ofd);
	}

	/* diff_ids: each layer's uncompressed stream hashed while merging. */
	{
		int plain = layer(l1, 0), gz = layer(l1, 1), ofd = memfd_create("o", 0);
		char ids[2][SPORE_DIGEST_LEN + 1], *buf = malloc(1 << 20);
		ssize_t n = read(plain, buf, 1 << 20);
		spore_digest_buf(buf, (size_t)n, ids[0], NULL);
		strcpy(ids[1], ids[0]);
		lseek(plain, 0, SEEK_SET);
		int fds[2] = {plain, gz};
		struct spore_merge_stats st;
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(fds, 2, (const char(*)[SPORE_DIGEST_LEN + 1])ids, ofd, NULL, &st, &err) == 0 &&
			   st.bad_layer == 0,
		   "matching diff_ids (plain and gzip'd layer) accepted: %s", err.msg);
		lseek(plain, 0, SEEK_SET);
		lseek(gz, 0, SEEK_SET);
		ids[1][10] = ids[1][10] == '0' ? '1' : '0';
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(fds, 2, (const char(*)[SPORE_DIGEST_LEN + 1])ids, ofd, NULL, &st, &err) == -EBADMSG &&
			   st.bad_layer == 2 && strstr(err.msg, "layer 2: its uncompressed content has digest ") &&
			   strstr(err.msg, ids[1]),
		   "a gzip'd layer whose content is not its diff_id refused: %s", err.msg);
		/* Bytes after the tar's end marker are part of the stream. */
		int tail = memfd_create("tail", 0);
		ok(write(tail, buf, (size_t)n) == n && write(tail, "x", 1) == 1, "made a layer with a trailing byte");
		lseek(tail, 0, SEEK_SET);
		ok(spore_layer_merge(&tail, 1, (const char(*)[SPORE_DIGEST_LEN + 1])ids, ofd, NULL, &st, &err) == -EBADMSG &&
			   st.bad_layer == 1,
		   "a byte after the end marker changes the layer's digest: %s", err.msg);
		/* ... and counts against the size cap (a bomb of padding). */
		int bomb = memfd_create("bomb", 0);
		ok(write(bomb, buf, (size_t)n) == n && ftruncate(bomb, 64 << 20) == 0, "made a layer padded to 64 MiB");
		lseek(bomb, 0, SEEK_SET);
		struct spore_merge_limits cap = {1u << 20, 100, 0};
		ok(spore_layer_merge(&bomb, 1, NULL, ofd, &cap, NULL, &err) == -EFBIG &&
			   strstr(err.msg, "more than 1048576 bytes"),
		   "padding after the end marker counts against the byte cap: %s", err.msg);
		/* gzip as ISA-L reads it: members that follow one another are one
		 * stream, junk after the last one is ignored (as gzip(1) and
		 * libarchive do), a bad CRC is refused. */
		int two = memfd_create("two", 0);
		ok(gz_member(two, buf, (size_t)n / 3) == 0 && gz_member(two, buf + n / 3, (size_t)(n - n / 3)) == 0 &&
			   write(two, "\0\0\0\0", 4) == 4,
		   "made a layer of two gzip members and junk");
		lseek(two, 0, SEEK_SET);
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(&two, 1, (const char(*)[SPORE_DIGEST_LEN + 1])ids, ofd, NULL, &st, &err) == 0,
		   "two gzip members are the whole layer (its diff_id): %s", err.msg);
		int badcrc = memfd_create("crc", 0);
		ok(gz_member(badcrc, buf, (size_t)n) == 0, "made a gzip layer");
		off_t end = lseek(badcrc, 0, SEEK_END);
		char c;
		ok(pread(badcrc, &c, 1, end - 8) == 1 && (c ^= 1, pwrite(badcrc, &c, 1, end - 8)) == 1,
		   "flipped a bit of its CRC");
		lseek(badcrc, 0, SEEK_SET);
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(&badcrc, 1, NULL, ofd, NULL, NULL, &err) < 0 &&
			   strstr(err.msg, "layer 1: corrupt or truncated: gzip CRC or length mismatch"),
		   "a gzip layer with a bad CRC is refused: %s", err.msg);
		/* Not a file (a pipe): libarchive inflates it, to the same digest. */
		int p[2];
		lseek(gz, 0, SEEK_SET);
		ssize_t gn = read(gz, buf, 1 << 20);
		ok(gn > 0 && gn < 65536 && pipe(p) == 0 && write(p[1], buf, (size_t)gn) == gn, "a gzip layer in a pipe");
		close(p[1]);
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(&p[0], 1, (const char(*)[SPORE_DIGEST_LEN + 1])ids, ofd, NULL, &st, &err) == 0,
		   "... merges to its diff_id too: %s", err.msg);
		close(p[0]);
		free(buf);
		close(plain);
		close(gz);
		close(tail);
		close(bomb);
		close(two);
		close(badcrc);
		close(ofd);
	}

	{
		/* A GNU header whose base-256 "realsize" is negative: libarchive
		 * reports it as the entry's size, which once reached the writer
		 * as 2^64 bytes of padding (found by fuzz_layer_merge). */
		unsigned char tar[512 * 4] = {0};
		unsigned char *h = tar;
		unsigned sum = 0;
		memcpy(h, "etc/hosts", 9);
		memcpy(h + 100, "0000644", 7);
		memcpy(h + 108, "0000000", 7);
		memcpy(h + 116, "0000000", 7);
		memcpy(h + 124, "00000000024", 11);
		memcpy(h + 136, "14524770400", 11);
		h[156] = '0';
		memcpy(h + 257, "ustar  ", 8);
		memset(h + 483, 0xff, 12); /* realsize: -1 in base-256 */
		memset(h + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += h[i];
		snprintf((char *)h + 148, 8, "%06o", sum);
		memcpy(tar + 512, "127.0.0.1 localhost\n", 20);
		int fd = memfd_create("neg", 0), ofd = memfd_create("out", 0);
		ok(write(fd, tar, sizeof(tar)) == (ssize_t)sizeof(tar), "made a layer with a negative GNU realsize");
		lseek(fd, 0, SEEK_SET);
		memset(&err, 0, sizeof(err));
		ok(spore_layer_merge(&fd, 1, NULL, ofd, NULL, NULL, &err) == -EINVAL && strstr(err.msg, "negative size"),
		   "a negative entry size is refused at once: %s", err.msg);
		close(fd);
		close(ofd);
	}

	{
		/* Layers asked for top first; a layer that cannot be had (a failed
		 * download) fails the merge with its own error. */
		static const struct ent top[] = {F("t", "t"), END}, bottom[] = {F("b", "b"), END};
		struct opener o = {{layer(bottom, 0), layer(top, 1)}, 0, 0};
		int ofd = memfd_create("out", 0);
		memset(&err, 0, sizeof(err));
		int r = spore_layer_merge_from(open_layer, &o, 2, NULL, ofd, NULL, NULL, &err);
		ok(r == -ECONNRESET && !strcmp(err.msg, "layer 1: fetching: Connection reset by peer") && o.asked == 0x12,
		   "layer 2 is asked for first, layer 1's failure is the merge's: %s", err.msg);
		close(o.fds[0]);
		close(o.fds[1]);
		close(ofd);
	}

	char p[64];
	ok(spore_merge_clean_path("./a//b/./c/", p, sizeof(p)) == 0 && !strcmp(p, "a/b/c"), "clean: ./a//b/./c/ -> a/b/c");
	ok(spore_merge_clean_path(".", p, sizeof(p)) == 0 && !strcmp(p, ""), "clean: . is the root");
	ok(spore_merge_clean_path("a/..", p, sizeof(p)) < 0, "clean: a/.. refused");
	ok(spore_merge_clean_path("..a/b..", p, sizeof(p)) == 0 && !strcmp(p, "..a/b.."), "clean: '..a' is a name");
	ok(spore_merge_clean_path("/a", p, sizeof(p)) < 0, "clean: absolute refused");
	ok(spore_merge_clean_path("aaaaaaaaaa/bbbbbbbbbb", p, 8) < 0, "clean: too long refused");
	return tap_done();
}
