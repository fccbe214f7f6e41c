/* Errors carried up to the CLI.
 *
 * Convention (one for all of spore): a function that can fail returns 0 or a
 * positive value on success and a negative errno-style code on failure. If it
 * takes a `struct spore_err *`, it also fills in a human-readable message
 * there; callers may prefix context with spore_err_wrap(). Only main() prints
 * the message, once, as "prog: what failed: on what: why". */
#ifndef SPORE_ERR_H
#define SPORE_ERR_H

#include <stddef.h>

#define SPORE_ERR_MSG_MAX 1024

struct spore_err {
	int code;                     /* positive errno value, 0 = no error */
	char msg[SPORE_ERR_MSG_MAX];
};

/* Records code (errno; its sign is ignored) and a message; appends
 * ": strerror(code)" unless code is 0. Returns -code (or -EIO for 0). A NULL
 * err is allowed and only the code is returned. */
int spore_err_set(struct spore_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like spore_err_set() but without the strerror suffix. */
int spore_err_setx(struct spore_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: ". Returns -err->code. */
int spore_err_wrap(struct spore_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void spore_err_clear(struct spore_err *err);

/* Messages carry what images, registries and guests wrote (names, paths,
 * replies): they leave a process only through these. Copies s into out
 * (n bytes, cut to fit) with whatever a terminal would act on shown as \xHH:
 * C0 controls, DEL, C1 controls (raw or as UTF-8) and invalid UTF-8.
 * Returns out. */
const char *spore_printable(const char *s, char *out, size_t n);
/* Prints "prog: msg" and a newline to stderr, msg made printable. */
void spore_err_print(const char *prog, const char *msg);

#endif
