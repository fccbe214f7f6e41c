/* sporectl logs: a guest's console output, as `docker logs` shows a
 * container's, read from its log files (spored writes them; this reads
 * them directly, so it works while spored is down). */
#include "log_read.h"
#include "term_filter.h"
#include <spore/clock.h>
#include <spore/conlog.h>
#include <spore/guest_record.h>
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl logs [-f] [--tail N] [--since T] [-t] [--raw] ID\n"
		"\n"
		"Show a guest's console output, running or exited, as docker logs does:\n"
		"what the container wrote to stderr (without a tty) on stderr, the rest on\n"
		"stdout. spored keeps it per guest in $SPORE_ROOT/logs/UUID/ (rotated;\n"
		"removed with the guest's record). ID is a UUID, a unique UUID prefix, a\n"
		"name or a domid.\n"
		"\n"
		"Options:\n"
		"  -f, --follow       Keep printing what the guest writes until it stops\n"
		"  -n, --tail N       Only the last N lines (default: all)\n"
		"      --since T      Only output since T: 2026-12-07T12:31:03Z (RFC 3339,\n"
		"                     UTC without a Z), unix seconds, or a duration before now\n"
		"                     (10s, 5m, 1h30m)\n"
		"  -t, --timestamps   Start each line with the time it was written\n"
		"      --raw          Print the guest's bytes as they are (by default escape\n"
		"                     sequences that would act on the terminal and other\n"
		"                     control characters are left out; colours are kept)\n"
		"  -h, --help         Show this help\n");
}

/* Each stream to its own: the container's stdout to stdout, its stderr
 * to stderr, as docker logs does; each with its own line and escape
 * state, since their records interleave. */
struct out {
	bool ts, raw;
	int64_t since;
	struct {
		FILE *f;
		bool line_start;
		struct term_filter tf;
	} s[2];
};

static int put(FILE *f, const char *buf, size_t n)
{
	return n && fwrite(buf, 1, n, f) != n ? -EIO : 0;
}

static int print_rec(void *arg, const struct spore_conlog_rec *r)
{
	static char filtered[SPORE_CONLOG_MAX_MSG + TERM_FILTER_MAX_SGR + 8];
	struct out *o = arg;
	int e = 0, k = r->stream == SPORE_CONLOG_STDERR;
	FILE *f = o->s[k].f;

	if (r->ns < o->since)
		return 0;
	if (o->ts && o->s[k].line_start) {
		char ts[SPORE_CONLOG_TS_LEN + 1];
		spore_conlog_ts(r->ns, ts);
		e |= put(f, ts, SPORE_CONLOG_TS_LEN) | put(f, " ", 1);
	}
	if (o->raw)
		e |= put(f, r->msg, r->len);
	else
		e |= put(f, filtered, term_filter(&o->s[k].tf, r->msg, r->len, filtered));
	if (!r->partial)
		e |= put(f, "\n", 1);
	o->s[k].line_start = !r->partial;
	return e ? -EIO : 0;
}

/* Whether the guest may still write: its record says so. */
static bool still_running(struct spore_xs *xs, const char *uuid)
{
	char path[128], *val = NULL;
	size_t len;
	struct spore_err e = {0};
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuid);
	int r = spore_xs_read(xs, 0, path, &val, &len, &e);
	bool running = r >= 0 && (!strncmp(val, "running", len) || !strncmp(val, "building", len));
	free(val);
	return running;
}

/* Follows the newest file until the guest stops: inotify on the folder
 * (writes and rotations) and a watch on the record's state. The guest's
 * last output reaches the log after its state changes (spored drains the
 * ring when it sees the domain stop, then closes the file): after the
 * state, the end is the file's close by spored, the folder's removal (the
 * record went), or 3 s. */
static int follow(struct spore_xs *xs, const char *uuid, const char *dir, struct log_snapshot *s,
		  struct out *o, struct spore_err *err)
{
	char path[128];
	int r = 0, in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (in < 0)
		return spore_err_set(err, errno, "logs: inotify");
	if (inotify_add_watch(in, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE |
					       IN_DELETE_SELF) < 0) {
		r = spore_err_set(err, errno, "logs: watching %s", dir);
		goto out;
	}
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuid);
	if ((r = spore_xs_watch(xs, path, "state", err)) < 0)
		goto out;
	int64_t stopped_at = -1;
	bool closed = false;
	for (;;) {
		if ((r = log_follow(dir, s, print_rec, o, err)) < 0)
			break;
		fflush(stdout);
		if (stopped_at < 0 && !still_running(xs, uuid))
			stopped_at = spore_now_ms();
		if (stopped_at >= 0 && (closed || spore_now_ms() - stopped_at >= 3000))
			break;
		struct pollfd p[2] = {{.fd = in, .events = POLLIN},
				      {.fd = spore_xs_watch_fd(xs), .events = POLLIN}};
		if (poll(p, 2, stopped_at < 0 ? -1 : 200) < 0 && errno != EINTR) {
			r = spore_err_set(err, errno, "logs: poll");
			break;
		}
		/* The events themselves say only that something happened,
		 * except the end of spored's writing. */
		char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t n;
		while ((n = read(in, ev, sizeof(ev))) > 0) {
			for (char *q = ev; q < ev + n;) {
				const struct inotify_event *ie = (const void *)q;
				/* Closed since its last write: a rotation's
				 * close is followed by writes to the new file. */
				if (ie->mask & (IN_MODIFY | IN_CREATE))
					closed = false;
				if (ie->mask & (IN_CLOSE_WRITE | IN_DELETE_SELF | IN_IGNORED))
					closed = true;
				q += sizeof(*ie) + ie->len;
			}
		}
		struct spore_xs_event *xe = NULL;
		while (spore_xs_read_watch(xs, &xe, 0, err) >= 0) {
			free(xe);
			xe = NULL;
		}
		spore_err_clear(err);
	}
out:
	close(in);
	return r;
}

int cmd_logs(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"follow", no_argument, 0, 'f'},    {"tail", required_argument, 0, 'n'},
		{"since", required_argument, 0, 'S'}, {"timestamps", no_argument, 0, 't'},
		{"raw", no_argument, 0, 'R'},       {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct out o = {.since = INT64_MIN};
	struct spore_xs *xs = NULL;
	struct spore_guest g;
	struct log_snapshot s = {.fd = -1};
	bool do_follow = false;
	long tail = -1;
	char dir[4200];
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fn:th", opts, NULL)) != -1) {
		switch (c) {
		case 'f': do_follow = true; break;
		case 't': o.ts = true; break;
		case 'R': o.raw = true; break;
		case 'n': {
			char *end;
			errno = 0;
			tail = strtol(optarg, &end, 10);
			if (!strcmp(optarg, "all")) {
				tail = -1;
			} else if (errno || end == optarg || *end || tail < 0) {
				usage(stderr);
				return cli_usage(err, "logs: --tail takes a number of lines or 'all', not '%s'",
						 optarg);
			}
			break;
		}
		case 'S': {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			if (spore_conlog_since(optarg, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
					       &o.since) < 0)
				return cli_usage(err, "logs: --since: '%s' is not a time or a duration",
						 optarg);
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	const char *id = argv[optind];
	for (int k = 0; k < 2; k++) {
		o.s[k].f = k ? stderr : stdout;
		o.s[k].line_start = true;
		term_filter_init(&o.s[k].tf);
	}
	if ((r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = spore_guest_resolve(xs, id, &g, err)) < 0) {
		spore_err_wrap(err, "logs");
		goto out;
	}
	spore_conlog_dir(NULL, g.uuid, dir, sizeof(dir));
	if ((r = log_snapshot_read(dir, &s, err)) < 0)
		goto out;
	for (size_t i = log_tail_start(s.recs, s.n, tail); i < s.n && r >= 0; i++)
		r = print_rec(&o, &s.recs[i]);
	if (r < 0) {
		r = spore_err_setx(err, EIO, "logs: writing the output");
		goto out;
	}
	fflush(stdout);
	if (do_follow && still_running(xs, g.uuid))
		r = follow(xs, g.uuid, dir, &s, &o, err);
out:
	fflush(stdout);
	log_snapshot_free(&s);
	spore_xs_close(xs);
	return r < 0 ? r : 0;
}
