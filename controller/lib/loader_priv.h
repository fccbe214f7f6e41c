/* Private helpers shared by the kernel loaders. */
#ifndef SPORE_LOADER_PRIV_H
#define SPORE_LOADER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Little-endian reads from untrusted bytes; the caller has bounds-checked
 * p .. p+width. No alignment is assumed. */
static inline uint16_t ld_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ld_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t ld_le64(const uint8_t *p)
{
	return (uint64_t)ld_le32(p) | (uint64_t)ld_le32(p + 4) << 32;
}

/* True when [off, off + n) lies inside a buffer of len bytes (no overflow). */
static inline bool range_ok(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

#endif
