/* sporectl: the dom0 CLI. One table row per verb; each verb lives in its own
 * cmd_<verb>.c file as it is implemented. */
#include <spore/err.h>
#include <spore/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const struct spore_command commands[] = {
	{"launch", "Run an OCI image as a container in its own PV guest", cmd_launch},
	{"boot", "Boot a bare PV guest from a kernel file", cmd_boot},
	{"version", "Print sporectl's version", cmd_version},
	{"kernel-info", "Show how spore parses a kernel file", cmd_kernel_info},
	{"xen-info", "Show the hypervisor version, memory and domains", cmd_xen_info},
	{"xs", "Read, write, list, remove and watch xenstore paths", cmd_xs},
	{"image", "Pull, list and remove OCI images (the squashfs cache)", cmd_image},
	{"volume", "Create, list, inspect and remove volumes (ext4 files)", cmd_volume},
	{"list", "List guests (running; -a: all) with their status", cmd_list},
	{"destroy", "Stop guests and free everything they hold", cmd_destroy},
	{"rm", "Remove the records of exited guests", cmd_rm},
	{"console", "Attach to a running guest's console", cmd_console},
	{"reaper", "Run the dom0 service that frees guests that shut down", cmd_reaper},
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
		     "Run 'sporectl COMMAND --help' for a command's options.\n");
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
		int r = commands[c].run(argc - i, argv + i, &err);
		if (r < 0) {
			fprintf(stderr, "sporectl: %s\n",
				err.msg[0] ? err.msg : "command failed");
			return 1;
		}
		return r;
	}
	fprintf(stderr, "sporectl: unknown command '%s' (see sporectl --help)\n", argv[i]);
	return 2;
}
