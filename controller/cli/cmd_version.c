#include <stdio.h>
#include <string.h>

#include "commands.h"

int cmd_version(int argc, char **argv, struct spore_err *err)
{
	(void)err;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: sporectl version\n\nPrint sporectl's version.\n");
		return 0;
	}
	printf("sporectl %s\n", SPORE_VERSION);
	return 0;
}
