/* sporenet: the dom0 network daemon giving each spore guest a userspace NAT
 * stack. Only the command line exists so far. */
#include <spore/log.h>

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporenet [--log LEVEL] [--syslog]\n"
		     "\n"
		     "Gives every spore guest on this dom0 a userspace NAT network stack.\n"
		     "(Not implemented yet: only this help exists.)\n"
		     "\n"
		     "Options:\n"
		     "  --log LEVEL  debug, info, warn or error (default: $SPORE_LOG or warn)\n"
		     "  --syslog     Log to syslog instead of stderr\n"
		     "  -h, --help   Show this help\n");
}

int main(int argc, char **argv)
{
	spore_log_init("sporenet");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	}
	usage(stderr);
	fprintf(stderr, "sporenet: the network daemon is not implemented yet\n");
	return 2;
}
