/* spore-runc's verbs: one cmd_*.c each, dispatched by spore-runc.c. */
#ifndef SPORE_RUNC_CLI_H
#define SPORE_RUNC_CLI_H

#include <spore/err.h>

#include <stdbool.h>

/* The global options every verb sees. */
struct runc_ctx {
	const char *root;     /* --root: the state directory */
	const char *log;      /* --log FILE, or NULL */
	bool log_json;        /* --log-format json */
};

/* Each returns 0, or a negative errno with err set (-EINVAL with
 * err->code EINVAL and a "usage" message: exit 2). */
int cmd_state(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
int cmd_delete(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
int cmd_create(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
int cmd_start(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
int cmd_kill(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
int cmd_ps(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);

/* --console-socket PATH: makes a pty, sends its master there (runc's way)
 * and hands back the slave (*slave_out), for the container's host process. */
int runc_console_send(const char *path, int *slave_out, struct spore_err *err);

/* A usage error: the message, and the status 2. */
int runc_usage(struct spore_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern bool runc_usage_error;

/* The verb's -h/--help: prints text and returns true when asked. */
bool runc_help(int argc, char **argv, const char *text);

/* Appends one line at level "error" (or "warning") to the --log file, in
 * its format; nothing without --log. Never fails the caller. */
void runc_log_line(const struct runc_ctx *c, const char *level, const char *msg);

#endif
