/* Kernel payload decompression with the compression libraries: gzip (zlib),
 * xz and lzma-alone (liblzma), LZ4 legacy frames (liblz4 block API; the
 * container is parsed here because liblz4's frame API does not read legacy
 * frames), zstd (libzstd) and bzip2 (libbz2).
 *
 * Input is untrusted: output is capped (max_out), a size trailer is checked
 * both against the cap before allocating and against the real output, and
 * decoder memory is limited where the library allows it. */
#include "kernel_image.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "loader_priv.h"

#define LZ4_LEGACY_MAGIC   0x184c2102U
#define LZ4_LEGACY_BLOCK   (8U << 20) /* uncompressed size of a legacy block */
#define XZ_MEMLIMIT        (256ULL << 20)
#define CHUNK_MAX          (1U << 30) /* per call: the libraries take 32-bit sizes */

size_t spore_kernel_decompress_max = SPORE_DECOMPRESS_MAX;

enum spore_comp spore_comp_detect(const uint8_t *b, size_t n)
{
	static const struct {
		enum spore_comp c;
		uint8_t len;
		uint8_t magic[6];
	} magics[] = {
		{SPORE_COMP_GZIP, 2, {0x1f, 0x8b}},
		{SPORE_COMP_BZIP2, 3, {'B', 'Z', 'h'}},
		{SPORE_COMP_XZ, 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}},
		{SPORE_COMP_ZSTD, 4, {0x28, 0xb5, 0x2f, 0xfd}},
		{SPORE_COMP_LZMA, 3, {0x5d, 0x00, 0x00}},
		{SPORE_COMP_LZO, 4, {0x89, 'L', 'Z', 'O'}},
		{SPORE_COMP_LZ4, 4, {0x02, 0x21, 0x4c, 0x18}},
	};
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len && !memcmp(b, magics[i].magic, magics[i].len))
			return magics[i].c;
	return SPORE_COMP_NONE;
}

const char *spore_comp_name(enum spore_comp c)
{
	switch (c) {
	case SPORE_COMP_NONE: return "none";
	case SPORE_COMP_GZIP: return "gzip";
	case SPORE_COMP_BZIP2: return "bzip2";
	case SPORE_COMP_XZ: return "xz";
	case SPORE_COMP_LZMA: return "lzma";
	case SPORE_COMP_LZ4: return "lz4";
	case SPORE_COMP_ZSTD: return "zstd";
	case SPORE_COMP_LZO: return "lzo";
	}
	return "unknown";
}

/* The output buffer. Its capacity goes one byte past max, so a stream that
 * ends exactly at max is told apart from one that would go further (a
 * decoder may need one more call with free space to report its end). In
 * exact mode the capacity is max + 1 from the start; otherwise it doubles. */
struct out {
	uint8_t *p;
	size_t len, cap, max;
	bool exact;
	const char *fmt; /* format name for messages */
};

static int too_big(const struct out *o, struct spore_err *err)
{
	if (o->exact)
		return spore_err_setx(err, EFBIG,
				      "%s data decompresses to more than the %zu bytes its size "
				      "trailer claims", o->fmt, o->max);
	return spore_err_setx(err, EFBIG, "%s data decompresses to more than %zu MiB (limit)",
			      o->fmt, o->max >> 20);
}

static int out_expand(struct out *o, struct spore_err *err)
{
	size_t ncap = o->cap > o->max / 2 ? o->max + 1 : o->cap * 2;
	uint8_t *np = realloc(o->p, ncap);
	if (!np)
		return spore_err_set(err, ENOMEM, "%s: allocating %zu bytes", o->fmt, ncap);
	o->p = np;
	o->cap = ncap;
	return 0;
}

/* Makes room for more output; -EFBIG (with message) past max. */
static int out_grow(struct out *o, struct spore_err *err)
{
	if (o->len > o->max)
		return too_big(o, err);
	if (o->len < o->cap)
		return 0;
	if (o->cap > o->max)
		return too_big(o, err);
	return out_expand(o, err);
}

/* Grows (when allowed) until want bytes are free or the cap is reached. */
static int out_reserve(struct out *o, size_t want, struct spore_err *err)
{
	while (o->cap <= o->max && o->cap - o->len < want) {
		int r = out_expand(o, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t room(const struct out *o)
{
	size_t r = o->cap - o->len;
	return r > CHUNK_MAX ? CHUNK_MAX : r;
}

static int truncated(const struct out *o, struct spore_err *err)
{
	return spore_err_setx(err, EINVAL, "%s data ends early (truncated file?)", o->fmt);
}

static int do_gzip(struct out *o, const uint8_t *in, size_t n, struct spore_err *err)
{
	z_stream s = {0};
	int r = inflateInit2(&s, 16 + MAX_WBITS); /* gzip wrapper only */
	if (r != Z_OK)
		return spore_err_setx(err, ENOMEM, "gzip: inflateInit2 failed (%d)", r);
	size_t off = 0;
	for (;;) {
		if ((r = out_grow(o, err)) < 0)
			break;
		size_t in_chunk = n - off > CHUNK_MAX ? CHUNK_MAX : n - off;
		size_t out_chunk = room(o);
		s.next_in = (Bytef *)(in + off);
		s.avail_in = (uInt)in_chunk;
		s.next_out = o->p + o->len;
		s.avail_out = (uInt)out_chunk;
		int z = inflate(&s, Z_NO_FLUSH);
		off += in_chunk - s.avail_in;
		o->len += out_chunk - s.avail_out;
		if (z == Z_STREAM_END) {
			r = 0;
			break;
		}
		if (z == Z_BUF_ERROR && off == n && s.avail_out) {
			r = truncated(o, err);
			break;
		}
		if (z != Z_OK && z != Z_BUF_ERROR) {
			r = spore_err_setx(err, z == Z_MEM_ERROR ? ENOMEM : EINVAL,
					   "gzip data is corrupt (%s)", s.msg ? s.msg : "inflate error");
			break;
		}
	}
	inflateEnd(&s);
	return r;
}

static int do_lzma(struct out *o, const uint8_t *in, size_t n, bool alone, struct spore_err *err)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret l = alone ? lzma_alone_decoder(&s, XZ_MEMLIMIT)
			   : lzma_stream_decoder(&s, XZ_MEMLIMIT, 0);
	int r;
	if (l != LZMA_OK)
		return spore_err_setx(err, ENOMEM, "%s: decoder setup failed (%d)", o->fmt, (int)l);
	s.next_in = in;
	s.avail_in = n;
	for (;;) {
		if ((r = out_grow(o, err)) < 0)
			break;
		size_t out_chunk = room(o);
		s.next_out = o->p + o->len;
		s.avail_out = out_chunk;
		l = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
		o->len += out_chunk - s.avail_out;
		if (l == LZMA_STREAM_END) {
			r = 0;
			break;
		}
		if (l == LZMA_OK)
			continue;
		if (l == LZMA_BUF_ERROR && !s.avail_in && s.avail_out)
			r = truncated(o, err);
		else if (l == LZMA_MEMLIMIT_ERROR)
			r = spore_err_setx(err, EFBIG, "%s data needs more than %llu MiB of decoder "
					   "memory", o->fmt, XZ_MEMLIMIT >> 20);
		else if (l == LZMA_MEM_ERROR)
			r = spore_err_setx(err, ENOMEM, "%s: out of memory", o->fmt);
		else if (l == LZMA_BUF_ERROR)
			continue; /* output was full; out_grow() decides */
		else
			r = spore_err_setx(err, EINVAL, "%s data is corrupt (liblzma error %d)",
					   o->fmt, (int)l);
		break;
	}
	lzma_end(&s);
	return r;
}

static int do_bzip2(struct out *o, const uint8_t *in, size_t n, struct spore_err *err)
{
	bz_stream s = {0};
	int b = BZ2_bzDecompressInit(&s, 0, 0), r;
	if (b != BZ_OK)
		return spore_err_setx(err, ENOMEM, "bzip2: decoder setup failed (%d)", b);
	size_t off = 0;
	for (;;) {
		if ((r = out_grow(o, err)) < 0)
			break;
		size_t in_chunk = n - off > CHUNK_MAX ? CHUNK_MAX : n - off;
		size_t out_chunk = room(o);
		s.next_in = (char *)(in + off);
		s.avail_in = (unsigned)in_chunk;
		s.next_out = (char *)(o->p + o->len);
		s.avail_out = (unsigned)out_chunk;
		b = BZ2_bzDecompress(&s);
		off += in_chunk - s.avail_in;
		o->len += out_chunk - s.avail_out;
		if (b == BZ_STREAM_END) {
			r = 0;
			break;
		}
		if (b != BZ_OK) {
			r = spore_err_setx(err, b == BZ_MEM_ERROR ? ENOMEM : EINVAL,
					   "bzip2 data is corrupt (libbz2 error %d)", b);
			break;
		}
		/* No progress with input exhausted and room left: the stream is cut. */
		if (off == n && s.avail_out) {
			r = truncated(o, err);
			break;
		}
	}
	BZ2_bzDecompressEnd(&s);
	return r;
}

static int do_zstd(struct out *o, const uint8_t *in, size_t n, struct spore_err *err)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	int r = 0;
	if (!d)
		return spore_err_setx(err, ENOMEM, "zstd: decoder setup failed");
	ZSTD_inBuffer ib = {in, n, 0};
	size_t z = 1;
	/* Frames may be concatenated; stop when input is used up. */
	while (ib.pos < ib.size || z != 0) {
		if ((r = out_grow(o, err)) < 0)
			break;
		size_t before_in = ib.pos;
		ZSTD_outBuffer ob = {o->p + o->len, room(o), 0};
		z = ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(z)) {
			r = spore_err_setx(err, EINVAL, "zstd data is corrupt (%s)",
					   ZSTD_getErrorName(z));
			break;
		}
		if (z != 0 && ib.pos == ib.size && ob.pos < ob.size && before_in == ib.pos) {
			r = truncated(o, err);
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return r;
}

/* LZ4 legacy container: magic, then blocks of [u32 LE compressed size][data],
 * each expanding to at most 8 MiB. It ends at EOF; another magic starts a new
 * frame; a final 4-byte word equal to the output size is Linux's size
 * trailer. */
static int do_lz4(struct out *o, const uint8_t *in, size_t n, struct spore_err *err)
{
	size_t off = 4;
	unsigned blk = 0;
	const uint32_t bound = (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK);

	while (off < n) {
		if (n - off < 4)
			return truncated(o, err);
		uint32_t bs = ld_le32(in + off);
		if (bs == LZ4_LEGACY_MAGIC) {
			off += 4;
			continue;
		}
		if (n - off == 4 && bs == (uint32_t)o->len)
			break; /* size trailer */
		if (bs == 0 || bs > bound)
			return spore_err_setx(err, EINVAL, "lz4 block %u has a bad size %u", blk, bs);
		if (bs > n - off - 4)
			return truncated(o, err);
		off += 4;
		/* Room for a whole block, or what the cap still allows. */
		int r = out_reserve(o, LZ4_LEGACY_BLOCK, err);
		if (r < 0 || (r = out_grow(o, err)) < 0)
			return r;
		size_t cap = o->cap - o->len;
		if (cap > LZ4_LEGACY_BLOCK)
			cap = LZ4_LEGACY_BLOCK;
		int got = LZ4_decompress_safe((const char *)in + off, (char *)o->p + o->len, (int)bs,
					      (int)cap);
		if (got < 0 && cap < LZ4_LEGACY_BLOCK) {
			/* Corrupt, or just too big for what is left? Decode again into a
			 * full-size scratch block to tell the user which. */
			char *tmp = malloc(LZ4_LEGACY_BLOCK);
			if (!tmp)
				return spore_err_set(err, ENOMEM, "lz4: allocating a block");
			int full = LZ4_decompress_safe((const char *)in + off, tmp, (int)bs,
						       (int)LZ4_LEGACY_BLOCK);
			free(tmp);
			if (full > 0)
				return too_big(o, err);
		}
		if (got < 0)
			return spore_err_setx(err, EINVAL, "lz4 block %u is corrupt", blk);
		o->len += (size_t)got;
		off += bs;
		blk++;
	}
	if (!blk)
		return spore_err_setx(err, EINVAL, "lz4 data has no blocks");
	return 0;
}

int spore_decompress(enum spore_comp c, const uint8_t *in, size_t in_len, bool size_trailer,
		     size_t max_out, uint8_t **out, size_t *out_len, struct spore_err *err)
{
	struct out o = {.max = max_out, .fmt = spore_comp_name(c)};
	int r;

	*out = NULL;
	*out_len = 0;
	if (max_out == 0 || max_out > SPORE_DECOMPRESS_MAX)
		return spore_err_setx(err, EINVAL, "decompression limit %zu is out of range", max_out);
	if (c == SPORE_COMP_LZO)
		return spore_err_setx(err, ENOTSUP, "lzo compression is not supported "
				      "(recompress the kernel with gzip, xz, lz4 or zstd)");
	if (c == SPORE_COMP_NONE)
		return spore_err_setx(err, EINVAL, "data is not in a known compression format");
	if (spore_comp_detect(in, in_len) != c)
		return spore_err_setx(err, EINVAL, "data does not start with the %s magic", o.fmt);
	if (size_trailer) {
		if (in_len < 8)
			return spore_err_setx(err, EINVAL, "%s data is too short (%zu bytes)", o.fmt,
					      in_len);
		size_t claim = ld_le32(in + in_len - 4);
		if (claim == 0)
			return spore_err_setx(err, EINVAL, "%s size trailer claims 0 bytes", o.fmt);
		if (claim > max_out)
			return spore_err_setx(err, EFBIG,
					      "%s size trailer claims %zu bytes, above the %zu MiB limit",
					      o.fmt, claim, max_out >> 20);
		o.exact = true;
		o.max = claim;
		o.cap = claim + 1;
		/* gzip's own trailer is this size (ISIZE); others append it. */
		if (c != SPORE_COMP_GZIP)
			in_len -= 4;
	} else {
		/* Start at 4x the input (at least 1 MiB), never past the cap. */
		uint64_t guess = (uint64_t)in_len * 4;
		if (guess < (1U << 20))
			guess = 1U << 20;
		o.cap = guess > (uint64_t)max_out + 1 ? max_out + 1 : (size_t)guess;
	}
	o.p = malloc(o.cap);
	if (!o.p)
		return spore_err_set(err, ENOMEM, "%s: allocating %zu bytes", o.fmt, o.cap);

	switch (c) {
	case SPORE_COMP_GZIP: r = do_gzip(&o, in, in_len, err); break;
	case SPORE_COMP_XZ: r = do_lzma(&o, in, in_len, false, err); break;
	case SPORE_COMP_LZMA: r = do_lzma(&o, in, in_len, true, err); break;
	case SPORE_COMP_BZIP2: r = do_bzip2(&o, in, in_len, err); break;
	case SPORE_COMP_ZSTD: r = do_zstd(&o, in, in_len, err); break;
	case SPORE_COMP_LZ4: r = do_lz4(&o, in, in_len, err); break;
	default: r = spore_err_setx(err, EINVAL, "unsupported compression"); break;
	}
	if (!r && o.len > o.max)
		r = too_big(&o, err);
	else if (!r && o.exact && o.len != o.max)
		r = spore_err_setx(err, EINVAL,
				   "%s data decompressed to %zu bytes but its size trailer says %zu",
				   o.fmt, o.len, o.max);
	if (r < 0) {
		free(o.p);
		return r;
	}
	/* Give back the slack of a grown buffer. */
	if (!o.exact && o.len < o.cap && o.len) {
		uint8_t *np = realloc(o.p, o.len);
		if (np)
			o.p = np;
	}
	*out = o.p;
	*out_len = o.len;
	return 0;
}
