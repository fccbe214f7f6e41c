/* gzip layers with ISA-L instead of zlib (through libarchive): inflating the
 * base layer was the longest step of a cold pull (30% of its CPU time,
 * `perf record` of `sporectl image pull` of the one-layer minbase image), and
 * igzip inflates the same stream 2-3 times as fast as zlib. ISA-L parses the
 * gzip header and checks the CRC and length itself; this file only feeds it
 * from the file and chains members. */
#include "gzip_read.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IN_SIZE (256 * 1024)

struct gzip_read {
	int fd;
	bool file_end; /* read() returned 0 */
	bool done;     /* the stream's end was reached */
	struct inflate_state st;
	uint8_t in[IN_SIZE];
};

bool gzip_read_applies(int fd)
{
	struct stat sb;
	unsigned char m[2];
	off_t at = lseek(fd, 0, SEEK_CUR);
	return fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && at >= 0 && pread(fd, m, 2, at) == 2 &&
	       m[0] == 0x1f && m[1] == 0x8b;
}

struct gzip_read *gzip_read_new(int fd)
{
	struct gzip_read *g = malloc(sizeof(*g));
	if (g) {
		g->fd = fd;
		g->file_end = g->done = false;
		isal_inflate_init(&g->st);
		g->st.crc_flag = ISAL_GZIP;
		g->st.avail_in = 0;
	}
	return g;
}

/* More input, after what ISA-L has not taken yet (moved to the buffer's
 * start): 1 read, 0 at the file's end, -1 on an error. */
static int refill(struct gzip_read *g)
{
	uint32_t left = g->st.avail_in;
	ssize_t n;
	if (g->file_end)
		return 0;
	if (left)
		memmove(g->in, g->st.next_in, left);
	do
		n = read(g->fd, g->in + left, sizeof(g->in) - left);
	while (n < 0 && errno == EINTR);
	g->st.next_in = g->in;
	if (n > 0)
		g->st.avail_in = left + (uint32_t)n;
	g->file_end = n == 0;
	return n < 0 ? -1 : n > 0;
}

/* After a member's end: 1 if another member follows (the state is reset
 * for it), 0 if not, -1 on a read error. */
static int next_member(struct gzip_read *g)
{
	int r = 1;
	while (g->st.avail_in < 2 && r > 0)
		r = refill(g);
	if (r < 0)
		return -1;
	if (g->st.avail_in < 2 || g->st.next_in[0] != 0x1f || g->st.next_in[1] != 0x8b)
		return 0;
	uint8_t *next = g->st.next_in;
	uint32_t avail = g->st.avail_in;
	isal_inflate_reset(&g->st);
	g->st.crc_flag = ISAL_GZIP;
	g->st.next_in = next;
	g->st.avail_in = avail;
	return 1;
}

ssize_t gzip_read(struct gzip_read *g, void *buf, size_t cap, const char **why)
{
	g->st.next_out = buf;
	g->st.avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	uint32_t want = g->st.avail_out;
	*why = NULL;
	while (g->st.avail_out && !g->done && !*why) {
		if (g->st.block_state == ISAL_BLOCK_FINISH) {
			int r = next_member(g);
			if (r < 0)
				*why = "read error";
			g->done = r == 0;
			continue;
		}
		if (g->st.avail_in == 0) {
			int r = refill(g);
			if (r <= 0) {
				*why = r < 0 ? "read error" : "unexpected end of the gzip stream";
				continue;
			}
		}
		int r = isal_inflate(&g->st);
		if (r == ISAL_INCORRECT_CHECKSUM)
			*why = "gzip CRC or length mismatch";
		else if (r == ISAL_INVALID_WRAPPER || r == ISAL_UNSUPPORTED_METHOD)
			*why = "not a valid gzip header";
		else if (r != ISAL_DECOMP_OK)
			*why = "corrupt deflate data";
	}
	return *why ? -1 : (ssize_t)(want - g->st.avail_out);
}

void gzip_read_free(struct gzip_read *g)
{
	free(g);
}
