#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

int cmd_version(int argc, char **argv, struct spore_err *err)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: sporectl version\n\nPrint sporectl's version.\n");
		return 0;
	}
	if (argc > 1)
		return cli_usage(err, "version: unexpected argument '%s' (usage: sporectl version)",
				 argv[1]);
	printf("sporectl %s\n", SPORE_VERSION);
	return 0;
}
