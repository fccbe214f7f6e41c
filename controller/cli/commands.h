/* The sporectl verb table's row type and the verbs' entry points. A verb
 * returns a negative code with err filled on failure, otherwise the process
 * exit status. */
#ifndef SPORECTL_COMMANDS_H
#define SPORECTL_COMMANDS_H

#include <spore/err.h>

struct spore_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv, struct spore_err *err);
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
int cmd_destroy(int argc, char **argv, struct spore_err *err);
int cmd_rm(int argc, char **argv, struct spore_err *err);
int cmd_console(int argc, char **argv, struct spore_err *err);
int cmd_reaper(int argc, char **argv, struct spore_err *err);

#endif
