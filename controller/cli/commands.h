/* The sporectl verb table's row type and the verbs' entry points. A verb
 * returns the process exit status, or a negative code with err filled on
 * failure: main prints err (once, one line) and exits with the row's
 * fail_status, or its usage_status for -CLI_EUSAGE (cli_util.h). */
#ifndef SPORECTL_COMMANDS_H
#define SPORECTL_COMMANDS_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>

struct spore_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv, struct spore_err *err);
	int fail_status;  /* 1; launch: docker's 125 */
	int usage_status; /* 2; launch: docker's 125 */
};

int cmd_version(int argc, char **argv, struct spore_err *err);
int cmd_boot(int argc, char **argv, struct spore_err *err);
int cmd_launch(int argc, char **argv, struct spore_err *err);
int cmd_xs(int argc, char **argv, struct spore_err *err);
int cmd_xen_info(int argc, char **argv, struct spore_err *err);
int cmd_kernel_info(int argc, char **argv, struct spore_err *err);
int cmd_image(int argc, char **argv, struct spore_err *err);
int cmd_volume(int argc, char **argv, struct spore_err *err);
int cmd_list(int argc, char **argv, struct spore_err *err);
int cmd_stats(int argc, char **argv, struct spore_err *err);
int cmd_inspect(int argc, char **argv, struct spore_err *err);
int cmd_destroy(int argc, char **argv, struct spore_err *err);
int cmd_rm(int argc, char **argv, struct spore_err *err);
int cmd_logs(int argc, char **argv, struct spore_err *err);
int cmd_console(int argc, char **argv, struct spore_err *err);
int cmd_exec(int argc, char **argv, struct spore_err *err);
int cmd_top(int argc, char **argv, struct spore_err *err);
int cmd_start(int argc, char **argv, struct spore_err *err);
int cmd_stop(int argc, char **argv, struct spore_err *err);
int cmd_restart(int argc, char **argv, struct spore_err *err);

struct spore_guest;
struct spore_xc;
struct spore_xs;
/* Stops the n guests v names (cmd_destroy.c; stop, restart): marks each
 * record stopped, asks each running one to stop, waits up to grace_s, tears
 * down the rest; records stay, exited. A guest being launched (a policy's
 * restart) is waited for first, bounded. */
int cli_stop_guests(struct spore_xc *xc, struct spore_xs *xs, struct spore_guest *v, size_t n,
		    int grace_s, struct spore_err *err);
/* Launches the exited guest g again as its record's configuration says
 * (cmd_launch.c; start, restart): the launch's status, as launch's. */
int cli_launch_again(const struct spore_guest *g, bool attach, bool by_policy,
		     struct spore_err *err);

#endif
