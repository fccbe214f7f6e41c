/* A launch's configuration as the guest record keeps it (SPORE_REC_CONFIG),
 * for `start` to launch the guest again as it was: the launch's options in
 * canonical form (no -a, -d, --rm, --name; the environment resolved), then
 * "--", IMAGE and the command. Pure.
 *
 * The text: "1" (the format's version), then each argument on a line of its
 * own, '\' written "\\" and a newline "\n". */
#ifndef SPORE_LAUNCH_CONFIG_H
#define SPORE_LAUNCH_CONFIG_H

#include <stddef.h>

/* Writes argv[0..n) into out (cap bytes, NUL included): 0, or -E2BIG if it
 * does not fit (out is then ""). */
int spore_launch_config_encode(const char *const *argv, size_t n, char *out, size_t cap);

/* The arguments text holds: *argv is one malloc'd block (free() it),
 * NULL-terminated, *n arguments. -EINVAL for anything encode does not
 * write (another version, a stray '\', an empty text), -ENOMEM. */
int spore_launch_config_decode(const char *text, char ***argv, size_t *n);

#endif
