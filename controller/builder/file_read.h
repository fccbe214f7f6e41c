/* Whole small files into memory (initrds), with one clear error. */
#ifndef SPORE_FILE_READ_H
#define SPORE_FILE_READ_H

#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

/* Reads the regular file path, of at most max bytes, into a malloc'd buffer
 * (*out, *len). Anything else (a directory, a device, a bigger file) is
 * -EINVAL, naming path and max in MiB; a file that shrinks while read, -EIO. */
int spore_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		    struct spore_err *err);

#endif
