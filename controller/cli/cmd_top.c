/* sporectl top: the processes running in a container, as `docker top`
 * shows them (ps -ef's columns), from sporeinit over the control channel
 * (container/top.c), so an image without ps has a table too. */
#include "exec_session.h"
#include <spore/svc_proto.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl top ID\n"
		     "\n"
		     "Show the processes running in a container: UID, PID, PPID, C (CPU %% over\n"
		     "its life), STIME (start, UTC), TTY, TIME (CPU time) and CMD, as docker top\n"
		     "and ps -ef show them; the guest kernel's threads are left out. PIDs are the\n"
		     "guest's: PID 1 is sporeinit, the container's process its child. The table\n"
		     "comes from the guest's sporeinit over the control channel (the image needs\n"
		     "no ps); what a process chose (its command line) is shown as printable\n"
		     "ASCII only. ID is a UUID, a unique UUID prefix, a name or a domid.\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help   Show this help\n");
}

int cmd_top(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	struct exec_session x = {.verb = "top",
				 .flags = SPORE_SVC_EXEC_TOP,
				 .out_how = {EXEC_OUT_ASCII, EXEC_OUT_ASCII}};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return cli_usage(err, NULL);
		}
	}
	if (argc - optind != 1) {
		if (argc - optind > 1)
			return cli_usage(err,
					 "top: ps options are not taken (the table is ps -ef's)");
		usage(stderr);
		return cli_usage(err, NULL);
	}
	x.id = argv[optind];
	int r = exec_session_run(&x, NULL, 0, err);
	/* The table's writer failing is an error of top, with its line. */
	return r > 0 ? spore_err_setx(err, EIO, "top: guest '%s': cannot read its processes", x.id)
		     : r;
}
