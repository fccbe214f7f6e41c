/* Small helpers shared by sporectl's verbs. */
#ifndef SPORECTL_CLI_UTIL_H
#define SPORECTL_CLI_UTIL_H

#include <spore/err.h>

#include <stdint.h>

/* Parses a decimal in [min, max]; -EINVAL for anything else (signs, junk,
 * overflow). */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A guest memory size as docker's -m takes it ("512m", "1g", "1.5GiB"; a
 * bare number is MiB, as it always was here) into whole MiB within the
 * builder's bounds. On error, err says "VERB: --memory 'S' is not ...". */
int cli_parse_memory(const char *verb, const char *s, uint64_t *mib, struct spore_err *err);

/* A usage error (an unknown option, a missing or extra operand): returns
 * -CLI_EUSAGE with err holding fmt's message, or none with fmt NULL (the
 * verb printed its usage). main prints the message and exits with the
 * verb's usage status (2; launch: 125). A bad option value is an error
 * like any other, not a usage error. */
#define CLI_EUSAGE 4096 /* outside errno's range */
int cli_usage(struct spore_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct spore_xc;
struct spore_xs;
struct spore_guest;
struct spore_dominfo;
/* The guest ID names (*g) and its domain (*info), which must be running:
 * else -ESRCH, "VERB: guest 'ID' is not running" (or resolve's error,
 * wrapped in VERB). */
int cli_running_guest(struct spore_xc *xc, struct spore_xs *xs, const char *verb, const char *id,
		      struct spore_guest *g, struct spore_dominfo *info, struct spore_err *err);

#endif
