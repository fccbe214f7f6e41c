/* A gzip-compressed layer, inflated with ISA-L's igzip. */
#ifndef SPORE_IMAGE_GZIP_READ_H
#define SPORE_IMAGE_GZIP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct gzip_read;

/* Whether fd is a regular file whose next bytes are gzip's magic (the file
 * offset is not moved). Anything else (a pipe, zstd, xz, plain tar) is
 * libarchive's. */
bool gzip_read_applies(int fd);

/* A reader of fd's gzip stream from its current offset (fd stays the
 * caller's); NULL when out of memory. */
struct gzip_read *gzip_read_new(int fd);

/* Fills buf with up to cap uncompressed bytes (the whole buffer unless the
 * stream ends); 0 at its end, -1 on a read error, a corrupt or truncated
 * stream or a bad CRC, with *why set to a static reason. Members that
 * follow one another are one stream, as gzip(1) reads them; what follows
 * the last member that is not another member is ignored, as libarchive and
 * gzip(1) do (the blob's digest already covers it). */
ssize_t gzip_read(struct gzip_read *g, void *buf, size_t cap, const char **why);

void gzip_read_free(struct gzip_read *g);

#endif
