/* Sizes as docker's flags take them and as people read them: one parser
 * and one formatter for every sporectl option that takes a size (memory,
 * volume sizes, image limits). */
#ifndef SPORECTL_UNITS_SIZE_H
#define SPORECTL_UNITS_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* A decimal number, optionally with a fraction ("1.5g"), then an optional
 * unit b, k, m, g, t or p (any case, optionally followed by "b" or "ib":
 * "512MiB", "10GB"), all powers of 1024. A number without a unit is in
 * units of 2^bare_shift bytes (0: bytes; 20: MiB, as `-m 512` has always
 * meant here). Fractions of a byte round up. -EINVAL if malformed, -ERANGE
 * above UINT64_MAX. */
int spore_size_parse(const char *s, unsigned bare_shift, uint64_t *out);

/* A size for people: "1 GiB", "512 MiB", "1.5 GiB", "4096 B". */
void spore_size_format(uint64_t bytes, char *buf, size_t n);

#endif
