/* The sporectl verb table's row type and the verbs' entry points. A verb
 * returns the process exit status, or a negative code with err filled on
 * failure: main prints err (once, one line) and exits with the row's
 * fail_status, or its usage_status for -CLI_EUSAGE (cli_util.h). */
#ifndef SPORECTL_COMMANDS_H
#define SPORECTL_COMMANDS_H

#include <spore/err.h>

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

#endif
