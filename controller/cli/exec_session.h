/* One session through spored's exec service (include/spore/svc_proto.h's
 * EXEC): `sporectl exec` runs a command with it, `sporectl top` the
 * guest's process table. */
#ifndef SPORECTL_EXEC_SESSION_H
#define SPORECTL_EXEC_SESSION_H

#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

/* How the process's output reaches fd 1 or 2: as it is (a pipe or a file,
 * or -t's terminal), through the terminal filter (a terminal without -t),
 * or as printable ASCII and newlines only (top's table). */
enum exec_out { EXEC_OUT_RAW, EXEC_OUT_FILTER, EXEC_OUT_ASCII };

struct exec_session {
	const char *verb;	  /* for messages: "exec", "top" */
	const char *id;		  /* the guest as the user named it */
	uint32_t flags;		  /* SPORE_SVC_EXEC_* */
	enum exec_out out_how[2]; /* stdout, stderr */
};

/* Runs the session in guest x->id (which must be running) with the
 * command's items (kind, text, NUL each; none for top): relays stdin with
 * STDIN_OPEN, the terminal's size with TTY (raw mode with STDIN_OPEN).
 * Returns the process's exit code, or -errno with err set. */
int exec_session_run(const struct exec_session *x, const void *items, size_t len,
		     struct spore_err *err);

#endif
