/* Guest UUIDs: the domain handle the builder gives Xen, and the key of the
 * guest record. */
#ifndef SPORE_UUID_H
#define SPORE_UUID_H

#include <spore/err.h>

#include <stdint.h>

/* Formats a 16-byte UUID as 36 lower-case characters. */
void spore_uuid_format(const uint8_t u[16], char out[37]);
/* A random (version 4) UUID. */
int spore_uuid_generate(uint8_t u[16], struct spore_err *err);
/* The 16 bytes of a UUID as spore_uuid_format writes it (lower-case hex);
 * -EINVAL for anything else. */
int spore_uuid_parse(const char *s, uint8_t u[16]);

#endif
