/* sporectl: the dom0 CLI. One table row per verb; each verb lives in its own
 * cmd_<verb>.c file as it is implemented. */
#include <spore/err.h>
#include <spore/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

/* Exit statuses: a verb's own on success; 1 when it failed; 2 for a usage
 * error. launch follows docker run: 125 for both (spore failed, not the
 * container), the container's status otherwise. */
#define VERB(name, summary, run) {name, summary, run, 1, 2}
static const struct spore_command commands[] = {
	{"launch", "Run an OCI image as a container in its own PV guest", cmd_launch, 125, 125},
	VERB("boot", "Boot a bare PV guest from a kernel file", cmd_boot),
	VERB("version", "Print sporectl's version", cmd_version),
	VERB("kernel-info", "Show how spore parses a kernel file", cmd_kernel_info),
	VERB("xen-info", "Show the hypervisor version, memory and domains", cmd_xen_info),
	VERB("xs", "Read, write, list, remove and watch xenstore paths", cmd_xs),
	VERB("image", "Pull, list and remove OCI images (the squashfs cache)", cmd_image),
	VERB("volume", "Create, list, inspect and remove volumes (ext4 files)", cmd_volume),
	VERB("list", "List guests (running; -a: all) with their status", cmd_list),
	VERB("stats", "Show running guests' CPU, memory, network and block I/O", cmd_stats),
	VERB("inspect", "Show guests as JSON, or docker's --format of each", cmd_inspect),
	VERB("destroy", "Stop guests and free everything they hold", cmd_destroy),
	VERB("stop", "Stop running guests, keeping their records", cmd_stop),
	VERB("start", "Start exited guests again as they were launched", cmd_start),
	VERB("restart", "Stop guests, then start them again", cmd_restart),
	VERB("rm", "Remove the records of exited guests", cmd_rm),
	VERB("console", "Attach to a running guest's console", cmd_console),
	VERB("logs", "Show a guest's console output (running or exited)", cmd_logs),
	VERB("exec", "Run a process in a running container", cmd_exec),
	VERB("top", "Show the processes running in a container", cmd_top),
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl [--log LEVEL] COMMAND [ARG...]\n"
		     "\n"
		     "Launch OCI container images as Xen PV guests.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
		     "Options:\n"
		     "  --log LEVEL  debug, info, warn or error (default: $SPORE_LOG or warn)\n"
		     "  -h, --help   Show this help\n"
		     "\n"
		     "Run 'sporectl COMMAND --help' for a command's options.\n"
		     "\n"
		     "Exit status: 1 when a command failed, 2 for a usage error; launch: 125 for\n"
		     "both, else the container's status.\n");
}

int main(int argc, char **argv)
{
	struct spore_err err = {0};
	int i = 1;

	spore_log_init("sporectl");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
			int lvl = spore_log_parse_level(argv[++i]);
			if (lvl < 0) {
				fprintf(stderr, "sporectl: unknown log level '%s'\n", argv[i]);
				return 2;
			}
			spore_log_set_level(lvl);
		} else {
			fprintf(stderr, "sporectl: unknown option '%s' (see sporectl --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(argv[i], commands[c].name))
			continue;
		const struct spore_command *cmd = &commands[c];
		int r = cmd->run(argc - i, argv + i, &err);
		if (r == -CLI_EUSAGE) {
			if (err.msg[0]) /* else the verb printed its usage */
				spore_err_print("sporectl", err.msg);
			return cmd->usage_status;
		}
		if (r < 0) {
			spore_err_print("sporectl", err.msg[0] ? err.msg : "command failed");
			return cmd->fail_status;
		}
		return r;
	}
	fprintf(stderr, "sporectl: unknown command '%s' (see sporectl --help)\n", argv[i]);
	return 2;
}
