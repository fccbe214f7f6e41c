/* Small helpers shared by sporectl's verbs. */
#ifndef SPORECTL_CLI_UTIL_H
#define SPORECTL_CLI_UTIL_H

#include <stdint.h>

/* Parses a decimal in [min, max]; -EINVAL for anything else (signs, junk,
 * overflow). */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
