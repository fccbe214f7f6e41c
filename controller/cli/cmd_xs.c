/* sporectl xs: xenstore-ls/-read/-write/-rm/-watch-like debugging verbs on
 * spore's own xenstore client. */
#include <spore/xenstore.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl xs COMMAND ARGS\n"
		"\n"
		"Inspect and change xenstore with spore's own client.\n"
		"\n"
		"Commands:\n"
		"  ls [-d] [PATH]       Show the tree under PATH (default /); -d: names only\n"
		"  read PATH            Print a value (\\ and non-printable bytes escaped)\n"
		"  write PATH VALUE     Set a value\n"
		"  mkdir PATH           Create an empty node\n"
		"  rm PATH              Remove PATH and everything below it\n"
		"  perms PATH [PERM..]  Print or set permissions (n0 r5 w5 b5; first = owner)\n"
		"  watch [-n N] PATH    Print the path of each change under PATH; stop after N\n"
		"                       events (the first fires at once)\n");
}

/* Values may hold anything (a guest writes its own area): print them the
 * way xenstore-ls does, '"' escaped only inside quotes. */
static void print_escaped(const char *v, size_t len, bool quoted)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\\' || (quoted && c == '"'))
			printf("\\%c", c);
		else if (isprint(c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static int ls_tree(struct spore_xs *xs, const char *path, int depth, struct spore_err *err)
{
	char **names;
	size_t n;
	int r = spore_xs_directory(xs, 0, path, &names, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t pl = strlen(path), cl = strlen(names[i]);
		char *child = malloc(pl + cl + 2);
		if (!child) {
			r = spore_err_set(err, ENOMEM, "xs ls");
			break;
		}
		snprintf(child, pl + cl + 2, "%s%s%s", path,
			 pl && path[pl - 1] == '/' ? "" : "/", names[i]);
		char *val;
		size_t vl;
		int rr = spore_xs_read(xs, 0, child, &val, &vl, err);
		if (rr == -ENOENT) {
			/* Removed while we were listing. */
			spore_err_clear(err);
			free(child);
			continue;
		}
		if (rr < 0) {
			free(child);
			r = rr;
			break;
		}
		printf("%*s%s = \"", depth, "", names[i]);
		print_escaped(val, vl, true);
		printf("\"\n");
		free(val);
		r = ls_tree(xs, child, depth + 1, err);
		free(child);
	}
	free(names);
	return r;
}

static int xs_ls(struct spore_xs *xs, int argc, char **argv, struct spore_err *err)
{
	int names_only = 0;
	const char *path = "/";
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-d")) {
		names_only = 1;
		i++;
	}
	if (i < argc)
		path = argv[i++];
	if (i != argc) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	if (!names_only)
		return ls_tree(xs, path, 0, err);

	char **names;
	size_t n;
	int r = spore_xs_directory(xs, 0, path, &names, &n, err);
	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		printf("%s\n", names[k]);
	free(names);
	return 0;
}

static int xs_perms(struct spore_xs *xs, int argc, char **argv, struct spore_err *err)
{
	const char *path = argv[1];
	int r;

	if (argc == 2) {
		struct spore_xs_perm *p;
		size_t n;
		r = spore_xs_get_perms(xs, 0, path, &p, &n, err);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			printf("%s%c%u", i ? " " : "", p[i].perm, p[i].domid);
		printf("\n");
		free(p);
		return 0;
	}
	size_t n = (size_t)argc - 2;
	struct spore_xs_perm *p = calloc(n, sizeof(*p));
	if (!p)
		return spore_err_set(err, ENOMEM, "xs perms");
	for (size_t i = 0; i < n; i++) {
		if (spore_xs_perm_parse(argv[i + 2], &p[i]) < 0) {
			free(p);
			return spore_err_setx(err, EINVAL,
					      "bad permission '%s' (want n, r, w or b and a "
					      "domain id, e.g. r5)", argv[i + 2]);
		}
	}
	r = spore_xs_set_perms(xs, 0, path, p, n, err);
	free(p);
	return r;
}

static int xs_watch(struct spore_xs *xs, int argc, char **argv, struct spore_err *err)
{
	long count = -1;
	int i = 1;

	if (i + 1 < argc && !strcmp(argv[i], "-n")) {
		char *end;
		count = strtol(argv[i + 1], &end, 10);
		if (*end || count <= 0) {
			usage(stderr);
			return cli_usage(err, NULL);
		}
		i += 2;
	}
	if (i + 1 != argc) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	int r = spore_xs_watch(xs, argv[i], "sporectl", err);
	if (r < 0)
		return r;
	for (long seen = 0; count < 0 || seen < count; seen++) {
		struct spore_xs_event *ev;
		r = spore_xs_read_watch(xs, &ev, -1, err);
		if (r < 0)
			return r;
		printf("%s\n", ev->path);
		fflush(stdout);
		free(ev);
	}
	return 0;
}

int cmd_xs(int argc, char **argv, struct spore_err *err)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? cli_usage(err, NULL) : 0;
	}
	const char *verb = argv[1];
	argc--;
	argv++;

	static const struct {
		const char *name;
		int min, max; /* argument counts after the verb */
	} verbs[] = {
		{"ls", 0, 2}, {"read", 1, 1}, {"write", 2, 2}, {"mkdir", 1, 1},
		{"rm", 1, 1}, {"perms", 1, 64}, {"watch", 1, 3},
	};
	size_t v;
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (!strcmp(verb, verbs[v].name))
			break;
	if (v == sizeof(verbs) / sizeof(verbs[0])) {
		usage(stderr);
		return cli_usage(err, "xs: unknown command '%s'", verb);
	}
	if (argc - 1 < verbs[v].min || argc - 1 > verbs[v].max) {
		usage(stderr);
		return cli_usage(err, NULL);
	}

	/* Bad paths get their error before any connection is attempted. */
	int pi = 1;
	if (!strcmp(verb, "watch") && argc > 3)
		pi = 3;
	else if (!strcmp(verb, "ls") && argc > 1 && !strcmp(argv[1], "-d"))
		pi = 2;
	if (pi < argc && spore_xs_check_path(argv[pi], err) < 0)
		return spore_err_wrap(err, "xs %s", verb);

	struct spore_xs *xs;
	int r = spore_xs_open(&xs, err);
	if (r < 0)
		return r;
	if (!strcmp(verb, "ls")) {
		r = xs_ls(xs, argc, argv, err);
	} else if (!strcmp(verb, "read")) {
		char *val;
		size_t len;
		r = spore_xs_read(xs, 0, argv[1], &val, &len, err);
		if (r == 0) {
			print_escaped(val, len, false);
			putchar('\n');
			free(val);
		}
	} else if (!strcmp(verb, "write")) {
		r = spore_xs_write_str(xs, 0, argv[1], argv[2], err);
	} else if (!strcmp(verb, "mkdir")) {
		r = spore_xs_mkdir(xs, 0, argv[1], err);
	} else if (!strcmp(verb, "rm")) {
		r = spore_xs_rm(xs, 0, argv[1], err);
	} else if (!strcmp(verb, "perms")) {
		r = xs_perms(xs, argc, argv, err);
	} else {
		r = xs_watch(xs, argc, argv, err);
	}
	spore_xs_close(xs);
	if (r < 0)
		spore_err_wrap(err, "xs %s", verb);
	return r;
}
