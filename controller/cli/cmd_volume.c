/* sporectl volume create|ls|inspect|rm|prune: managed volumes from the CLI,
 * as docker volume has them (controller/volume/). */
#include "cli_util.h"
#include "guest_reap.h"
#include "size.h"
#include "volume_rules.h"
#include "volume_store.h"
#include "volume_users.h"
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

#define MAX_LABELS 64

static void usage(FILE *out)
{
	char def[32];
	spore_size_format(SPORE_VOLUME_DEFAULT_SIZE, def, sizeof(def));
	fprintf(out,
		"Usage: sporectl volume COMMAND [OPTIONS] [NAME...]\n"
		"\n"
		"Manage volumes: sparse files holding an ext4 filesystem, in\n"
		"$SPORE_ROOT/volumes (default /var/lib/spore/volumes), for guests to mount.\n"
		"\n"
		"Commands:\n"
		"  create [NAME]    Make a volume (%s unless --size; a random name if none)\n"
		"  ls               List volumes\n"
		"  inspect NAME...  Print volumes as a JSON array\n"
		"  rm NAME...       Remove volumes no running guest uses\n"
		"  prune            Remove every volume no running guest uses\n"
		"\n"
		"Option of every command: --root DIR (volumes live in DIR/volumes).\n"
		"Run 'sporectl volume COMMAND --help' for a command's options.\n",
		def);
}

/* One subcommand: its options and arguments. */
struct sub {
	const char *name, *alias, *shortopts, *help;
	int min_args, max_args; /* max -1: any */
};

static const struct sub subs[] = {
	{"create", NULL, "s:l:h",
	 "Usage: sporectl volume create [--size SIZE] [--label KEY=VALUE]... [NAME]\n"
	 "\n"
	 "Makes a volume: a sparse file of SIZE bytes holding an empty ext4 filesystem\n"
	 "(its root directory owned by root), which takes dom0's disk only as the\n"
	 "guest writes. Prints its name. Without NAME, a random 64-digit one.\n"
	 "\n"
	 "Options:\n"
	 "  -s, --size SIZE          512m, 1g, 10G, 1.5GiB or bytes; powers of 1024;\n"
	 "                           16 MiB to 16 TiB (default 1 GiB)\n"
	 "  -l, --label KEY=VALUE    Attach a label (repeatable; shown by inspect)\n"
	 "  --root DIR               Volumes live in DIR/volumes\n"
	 "  -h, --help               Show this help\n"
	 "\n"
	 "NAME: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters.\n",
	 0, 1},
	{"ls", "list", "qh",
	 "Usage: sporectl volume ls [--json] [-q]\n"
	 "\n"
	 "Lists volumes by name: size, what they take of dom0's disk, when made.\n"
	 "\n"
	 "Options:\n"
	 "  --json        A JSON array, one object per volume (as inspect prints)\n"
	 "  -q, --quiet   Names only\n"
	 "  --root DIR    Volumes live in DIR/volumes\n"
	 "  -h, --help    Show this help\n",
	 0, 0},
	{"inspect", NULL, "h",
	 "Usage: sporectl volume inspect NAME...\n"
	 "\n"
	 "Prints the volumes as a JSON array of objects with Name, Driver (\"ext4\"),\n"
	 "Mountpoint (the volume's file), CreatedAt, Size (bytes), Allocated (bytes\n"
	 "of dom0's disk), Labels and Scope.\n"
	 "\n"
	 "Options:\n"
	 "  --root DIR    Volumes live in DIR/volumes\n"
	 "  -h, --help    Show this help\n",
	 1, -1},
	{"rm", "remove", "fh",
	 "Usage: sporectl volume rm [-f] NAME...\n"
	 "\n"
	 "Removes volumes and prints each name removed. A volume a guest uses (one\n"
	 "whose record lists it and has not exited) is refused, with one line per\n"
	 "volume; the others are still removed.\n"
	 "\n"
	 "Options:\n"
	 "  -f, --force   Ignore names that are not volumes\n"
	 "  --root DIR    Volumes live in DIR/volumes\n"
	 "  -h, --help    Show this help\n",
	 1, -1},
	{"prune", NULL, "fh",
	 "Usage: sporectl volume prune [-f]\n"
	 "\n"
	 "Removes every volume no guest uses; prints their names and the space\n"
	 "reclaimed. Asks first unless --force.\n"
	 "\n"
	 "Options:\n"
	 "  -f, --force   Do not ask\n"
	 "  --root DIR    Volumes live in DIR/volumes\n"
	 "  -h, --help    Show this help\n",
	 0, 0},
};

struct opts {
	const char *root;
	uint64_t size;
	json_t *labels;
	bool json, quiet, force;
};

/* The guest records, for "in use". A machine with no xenstore at all (not
 * a Xen dom0) has no guests; a dom0 whose xenstored does not answer is an
 * error: nothing is removed on a guess. Guests whose domain is gone are
 * reaped first (as list, destroy and rm do), so a guest that has just
 * exited without a reaper running does not hold its volumes. */
static int load_guests(const char *verb, struct spore_guest **g, size_t *n,
		       struct spore_err *err)
{
	struct spore_xs *xs = NULL;
	struct spore_xc *xc = NULL;
	struct spore_err e = {0};
	const char *env = getenv("XENSTORED_PATH");
	int r = spore_xs_open(&xs, &e);

	*g = NULL;
	*n = 0;
	if (r == -ENOENT && !(env && *env)) {
		log_debug("volume %s: no xenstore (%s): no guests", verb, e.msg);
		return 0;
	}
	if (r < 0) {
		*err = e;
		return spore_err_wrap(err, "volume %s: finding the guests that use volumes", verb);
	}
	if (spore_xc_open(&xc, &e) == 0) {
		if (spore_reap_pass(xc, xs, NULL, NULL, &e) < 0)
			log_warn("volume %s: cleaning up: %s", verb, e.msg);
		spore_xc_close(xc);
	}
	r = spore_guest_list(xs, g, n, err);
	if (r < 0)
		spore_err_wrap(err, "volume %s: finding the guests that use volumes", verb);
	spore_xs_close(xs);
	return r;
}

/* "in use by guest NAME" (and how many others), for volume name. */
static int in_use(const char *verb, const char *name, const struct spore_guest *g, size_t n,
		  struct spore_err *err)
{
	int first = spore_volume_find_user(g, n, name), more = 0;
	if (first < 0)
		return 0;
	for (size_t i = (size_t)first + 1; i < n; i++)
		more += spore_volume_guest_uses(&g[i], name);
	const char *who = g[first].name[0] ? g[first].name : g[first].uuid;
	if (more)
		return spore_err_setx(err, EBUSY, "volume %s: %s: in use by guest %s and %d more",
				      verb, name, who, more);
	return spore_err_setx(err, EBUSY, "volume %s: %s: in use by guest %s", verb, name, who);
}

static json_t *volume_json(const struct spore_volume *v)
{
	char created[32] = "";
	time_t t = (time_t)v->created;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:I, s:I}", "CreatedAt", created, "Driver",
			 "ext4", "Labels", v->labels ? v->labels : json_null(), "Mountpoint",
			 v->path, "Name", v->name, "Scope", "local", "Size", (json_int_t)v->size,
			 "Allocated", (json_int_t)v->allocated);
}

static int print_json(json_t *arr, const char *verb, struct spore_err *err)
{
	char *s = arr ? json_dumps(arr, JSON_INDENT(4)) : NULL;
	json_decref(arr);
	if (!s)
		return spore_err_set(err, ENOMEM, "volume %s: formatting JSON", verb);
	printf("%s\n", s);
	free(s);
	return 0;
}

/* A failure among several names: each gets its line, in order, as docker
 * prints them; the last goes up to main, which prints it and exits 1. */
static void note_failure(struct spore_err *last, const struct spore_err *e, int *r, int code)
{
	if (*r < 0)
		fprintf(stderr, "sporectl: %s\n", last->msg);
	*last = *e;
	*r = code;
}

static int do_create(struct spore_volume_store *s, const char *name, const struct opts *o,
		     struct spore_err *err)
{
	char gen[2 * 32 + 1];
	if (!name) {
		unsigned char rnd[32];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return spore_err_set(err, errno, "volume create: picking a name");
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(gen + 2 * i, 3, "%02x", rnd[i]);
		name = gen;
	}
	int r = spore_volume_create(s, name, o->size, o->labels, NULL, err);
	if (r < 0)
		return spore_err_wrap(err, "volume create");
	printf("%s\n", name);
	return 0;
}

static int do_ls(struct spore_volume_store *s, const struct opts *o, struct spore_err *err)
{
	struct spore_volume *v;
	size_t n;
	int r = spore_volume_list(s, &v, &n, err);

	if (r < 0)
		return spore_err_wrap(err, "volume ls");
	json_t *arr = o->json ? json_array() : NULL;
	if (!o->json && !o->quiet)
		printf("%-30s %-6s %10s %10s  %s\n", "NAME", "DRIVER", "SIZE", "ON DISK", "CREATED");
	for (size_t i = 0; i < n; i++) {
		char size[32], used[32], when[32] = "-";
		time_t t = (time_t)v[i].created;
		struct tm tm;
		if (o->json) {
			json_array_append_new(arr, volume_json(&v[i]));
			continue;
		}
		if (o->quiet) {
			printf("%s\n", v[i].name);
			continue;
		}
		if (t && localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		spore_size_format(v[i].size, size, sizeof(size));
		spore_size_format(v[i].allocated, used, sizeof(used));
		printf("%-30s %-6s %10s %10s  %s\n", v[i].name, "ext4", size, used, when);
	}
	spore_volume_list_free(v, n);
	return o->json ? print_json(arr, "ls", err) : 0;
}

static int do_inspect(struct spore_volume_store *s, char **names, int n, struct spore_err *err)
{
	json_t *arr = json_array();
	int r = 0;

	for (int i = 0; i < n; i++) {
		struct spore_volume v;
		struct spore_err e = {0};
		if (spore_volume_get(s, names[i], &v, &e) < 0) {
			spore_err_wrap(&e, "volume inspect");
			note_failure(err, &e, &r, -e.code);
			continue;
		}
		json_array_append_new(arr, volume_json(&v));
		spore_volume_free(&v);
	}
	/* Those found are printed, as docker does, even when some were not. */
	int p = print_json(arr, "inspect", r < 0 ? NULL : err);
	return r < 0 ? r : p;
}

static int do_rm(struct spore_volume_store *s, char **names, int n, const struct opts *o,
		 struct spore_err *err)
{
	struct spore_guest *g = NULL;
	size_t ng = 0;
	int r = load_guests("rm", &g, &ng, err);

	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		struct spore_err e = {0};
		int t = in_use("rm", names[i], g, ng, &e);
		if (t == 0) {
			t = spore_volume_remove(s, names[i], NULL, &e);
			if (t == -ENOENT && o->force)
				continue;
			if (t < 0)
				spore_err_wrap(&e, "volume rm");
		}
		if (t < 0) {
			note_failure(err, &e, &r, t);
			continue;
		}
		printf("%s\n", names[i]);
	}
	free(g);
	return r;
}

/* docker's question; asked on a terminal only, but the answer is read
 * either way ("echo y |" works; no stdin is a no). */
static bool confirmed(void)
{
	char line[16] = "";
	if (isatty(0)) {
		fprintf(stderr, "WARNING! This removes every volume no guest uses.\n"
				"Are you sure you want to continue? [y/N] ");
		fflush(stderr);
	}
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return !strcmp(line, "y") || !strcmp(line, "Y") || !strcmp(line, "yes");
}

static int do_prune(struct spore_volume_store *s, const struct opts *o, struct spore_err *err)
{
	struct spore_guest *g = NULL;
	struct spore_volume *v = NULL;
	size_t ng = 0, n = 0;
	uint64_t total = 0;
	bool header = false;
	char sz[32];
	int r;

	if (!o->force && !confirmed())
		return spore_err_setx(err, ECANCELED, "volume prune: not confirmed (-f does not ask)");
	if ((r = load_guests("prune", &g, &ng, err)) < 0)
		return r;
	if ((r = spore_volume_list(s, &v, &n, err)) < 0) {
		spore_err_wrap(err, "volume prune");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct spore_err e = {0};
		uint64_t freed = 0;
		if (spore_volume_find_user(g, ng, v[i].name) >= 0)
			continue;
		int t = spore_volume_remove(s, v[i].name, &freed, &e);
		if (t == -ENOENT)
			continue;
		if (t < 0) {
			spore_err_wrap(&e, "volume prune");
			note_failure(err, &e, &r, t);
			continue;
		}
		if (!header)
			printf("Deleted Volumes:\n");
		header = true;
		printf("%s\n", v[i].name);
		total += freed;
	}
	spore_size_format(total, sz, sizeof(sz));
	printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", sz);
out:
	spore_volume_list_free(v, n);
	free(g);
	return r;
}

/* "KEY=VALUE" (or "KEY": an empty value) into o->labels; a usage error if
 * malformed. */
static int add_label(struct opts *o, const char *arg, struct spore_err *err)
{
	char key[256], show[96];
	const char *eq = strchr(arg, '=');
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	json_t *val = json_string(eq ? eq + 1 : "");

	if (!klen || klen >= sizeof(key) || !val || json_object_size(o->labels) >= MAX_LABELS) {
		json_decref(val);
		return cli_usage(err, "volume create: --label '%s': want KEY=VALUE (UTF-8, a key of 1 to 255 bytes, at most %d labels)",
			spore_volume_printable(arg, show, sizeof(show)), MAX_LABELS);
	}
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (json_object_set_new(o->labels, key, val) < 0) {
		return cli_usage(err, "volume create: --label '%s': the key is not UTF-8",
			spore_volume_printable(arg, show, sizeof(show)));
	}
	return 0;
}

int cmd_volume(int argc, char **argv, struct spore_err *err)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"size", required_argument, NULL, 's'},
		{"label", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct opts o = {.size = SPORE_VOLUME_DEFAULT_SIZE};
	const struct sub *sub = NULL;
	char show[96];
	int c, r = 0;

	if (argc < 2) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name) || (subs[i].alias && !strcmp(argv[1], subs[i].alias)))
			sub = &subs[i];
	if (!sub)
		return cli_usage(err, "volume: unknown command '%s' (see sporectl volume --help)",
				 spore_volume_printable(argv[1], show, sizeof(show)));
	if (!(o.labels = json_object()))
		return spore_err_set(err, ENOMEM, "volume");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, sub->shortopts, longopts, NULL)) != -1) {
		/* Long options are shared; each is valid only where its short
		 * form is (and --root, --json everywhere they make sense). */
		bool ok = c == 'r' || (c == 'j' && !strcmp(sub->name, "ls")) ||
			  (c != '?' && c != ':' && strchr(sub->shortopts, c));
		if (!ok) {
			r = cli_usage(err, "volume %s: unknown option or missing value '%s' (see sporectl volume %s --help)",
				      sub->name,
				      spore_volume_printable(argv[optind < argc ? optind : argc - 1], show,
							     sizeof(show)),
				      sub->name);
			goto out;
		}
		switch (c) {
		case 'r': o.root = optarg; break;
		case 'j': o.json = true; break;
		case 'q': o.quiet = true; break;
		case 'f': o.force = true; break;
		case 'l':
			if ((r = add_label(&o, optarg, err)) < 0)
				goto out;
			break;
		case 's': {
			int p = spore_size_parse(optarg, 0, &o.size);
			if (p < 0 || o.size < SPORE_VOLUME_MIN_SIZE || o.size > SPORE_VOLUME_MAX_SIZE) {
				r = cli_usage(err, "volume create: --size '%s': want 16m to 16t (512m, 1g, 10G, 1.5GiB, bytes)",
					      spore_volume_printable(optarg, show, sizeof(show)));
				goto out;
			}
			break;
		}
		case 'h':
			fputs(sub->help, stdout);
			r = 0;
			goto out;
		}
	}
	char **args = argv + 1 + optind;
	int nargs = argc - 1 - optind;
	if (nargs < sub->min_args || (sub->max_args >= 0 && nargs > sub->max_args)) {
		r = cli_usage(err, "volume %s: wrong number of arguments (see sporectl volume %s --help)",
			      sub->name, sub->name);
		goto out;
	}
	/* Every name is checked before anything is done: names are file
	 * names, and what is printed later is known to be plain. */
	for (int i = 0; i < nargs; i++) {
		if (spore_volume_name_valid(args[i]))
			continue;
		r = cli_usage(err, "volume %s: '%s': not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters)",
			      sub->name, spore_volume_printable(args[i], show, sizeof(show)),
			      SPORE_VOLUME_NAME_MAX);
		goto out;
	}

	struct spore_volume_store s;
	bool exclusive = !strcmp(sub->name, "rm") || !strcmp(sub->name, "prune");
	if ((r = spore_volume_store_open(&s, o.root, exclusive, err)) < 0) {
		spore_err_wrap(err, "volume %s", sub->name);
		goto out;
	}
	switch (sub->name[0]) {
	case 'c': r = do_create(&s, nargs ? args[0] : NULL, &o, err); break;
	case 'l': r = do_ls(&s, &o, err); break;
	case 'i': r = do_inspect(&s, args, nargs, err); break;
	case 'r': r = do_rm(&s, args, nargs, &o, err); break;
	default: r = do_prune(&s, &o, err); break;
	}
	spore_volume_store_close(&s);
out:
	json_decref(o.labels);
	return r;
}
