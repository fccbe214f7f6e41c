/* sporectl inspect: guests as JSON (the objects list --json prints), or
 * docker's --format applied to each. */
#include "guest_status.h"
#include "guest_teardown.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "guest_view.h"
#include "json_template.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl inspect [-f TEMPLATE] ID...\n"
		     "\n"
		     "Print guests, running or exited, as a JSON array of the objects\n"
		     "'list --json' prints. ID is a UUID, a unique UUID prefix, a name or a domid.\n"
		     "\n"
		     "Options:\n"
		     "  -f, --format TEMPLATE   Print TEMPLATE for each guest instead, as docker:\n"
		     "                          {{.field}}, {{.field.field}}, {{json .field}}\n"
		     "                          (e.g. '{{.status}} {{.ipv4}}')\n"
		     "  -h, --help              Show this help\n"
		     "\n"
		     "Guests that exist are printed even when another ID names none; the first\n"
		     "such ID is reported and the exit status is 1.\n");
}

int cmd_inspect(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"format", required_argument, 0, 'f'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_dominfo *doms = NULL;
	size_t ndoms = 0;
	const char *format = NULL;
	json_t *arr = NULL;
	int c, r, first_err = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (optind == argc) {
		usage(stderr);
		return cli_usage(err, "inspect: no ID given");
	}
	if (format && (r = json_template_check(format, err)) < 0)
		return spore_err_wrap(err, "inspect");
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0 ||
	    (r = spore_domain_snapshot(xc, &doms, &ndoms, err)) < 0)
		goto out;
	arr = json_array();
	int64_t now = (int64_t)time(NULL);
	for (int i = optind; i < argc; i++) {
		struct spore_guest g;
		struct spore_err e = {0};
		char status[96];
		if (spore_guest_resolve(xs, argv[i], &g, &e) < 0) {
			/* The first failure is the one reported (main prints one
			 * line); the guests that exist are printed all the same. */
			if (!first_err) {
				*err = e;
				first_err = -e.code;
			}
			continue;
		}
		guest_settle(&g, doms, ndoms, now);
		spore_guest_status(&g, now, status, sizeof(status));
		json_t *o = guest_json(&g, status);
		if (format) {
			json_template_apply(format, o, stdout);
			putchar('\n');
			json_decref(o);
		} else {
			json_array_append_new(arr, o);
		}
	}
	if (!format && json_array_size(arr)) {
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	r = first_err ? spore_err_wrap(err, "inspect") : 0;
	if (fflush(stdout) == EOF && r == 0)
		r = spore_err_set(err, errno, "inspect: writing the output");
out:
	json_decref(arr);
	free(doms);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}
