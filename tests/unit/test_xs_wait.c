/* spore_xs_wait/spore_xs_wait_all against a scripted peer on a Unix socket
 * that answers every request and, like xenstored, fires each new watch once
 * at once: the look runs at once and after every event, a timeout ends the
 * wait with -ETIMEDOUT on the right entry, a look's error ends it too, and
 * every watch set is removed again whatever the outcome. */
#include <spore/clock.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <string.h>

#include "fake_xenstored.h"
#include "tap.h"

/* The peer logs to logp[1]; the test reads logp[0]. */
static int logp[2];

/* Answers OK to everything, fires each WATCH once, and logs "WATCH path
 * token" / "UNWATCH path token" lines to the log pipe until the client
 * hangs up. */
static void peer(int lfd, void *arg)
{
	int fd = accept(lfd, NULL, NULL), log_fd = logp[1];
	uint32_t hdr[4];
	char body[4097];

	(void)arg;
	close(logp[0]);
	if (fd < 0)
		_exit(2);
	while (fxs_read_full(fd, hdr, sizeof(hdr)) == 0) {
		if (hdr[3] >= sizeof(body) || fxs_read_full(fd, body, hdr[3]) < 0)
			_exit(2);
		body[hdr[3]] = '\0';
		const char *okay[] = {"OK"};
		fxs_send(fd, hdr[0], hdr[1], okay, 1, NULL, 0);
		if (hdr[0] == XS_WATCH || hdr[0] == XS_UNWATCH) {
			const char *path = body, *token = body + strlen(body) + 1;
			dprintf(log_fd, "%s %s %s\n", hdr[0] == XS_WATCH ? "WATCH" : "UNWATCH", path,
				token);
			if (hdr[0] == XS_WATCH) {
				const char *ev[] = {path, token};
				fxs_send(fd, XS_WATCH_EVENT, 0, ev, 2, NULL, 0);
			}
		}
	}
	_exit(0);
}

/* Done at its n-th call (0: never); fails with fail_with if set. */
struct look {
	int calls, done_at, fail_with;
};

static int look(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	struct look *l = arg;
	(void)xs;
	l->calls++;
	if (l->fail_with)
		return spore_err_setx(err, l->fail_with, "look failed");
	return l->done_at && l->calls >= l->done_at;
}

int main(void)
{
	struct spore_err err = {0};
	struct spore_xs *xs = NULL;
	struct fxs f;

	if (pipe(logp) < 0 || fxs_start(&f, peer, NULL) < 0)
		return 1;
	close(logp[1]);
	is_int(spore_xs_open_path(&xs, f.path, &err), 0, "connect to the scripted peer: %s", err.msg);

	/* Done after the watch's first event: one look at once, one after it. */
	struct look a = {.done_at = 2};
	is_int(spore_xs_wait(xs, "/w/a", 5000, look, &a, &err), 0, "done after an event: %s",
	       err.msg);
	is_int(a.calls, 2, "looked at once and after the watch's first event");

	/* Never done: the timeout ends it, and not much later. */
	struct look never = {0};
	int64_t t0 = spore_now_ms();
	is_int(spore_xs_wait(xs, "/w/never", 200, look, &never, &err), -ETIMEDOUT,
	       "a look never done times out");
	int64_t took = spore_now_ms() - t0;
	ok(took >= 200 && took < 2000, "after its timeout (%lld ms)", (long long)took);
	ok(strstr(err.msg, "/w/never") != NULL, "the error names the path: %s", err.msg);

	/* A look's error ends the wait with that error. */
	struct look bad = {.fail_with = EIO};
	spore_err_clear(&err);
	is_int(spore_xs_wait(xs, "/w/bad", 5000, look, &bad, &err), -EIO, "a look's error ends it");
	is_int(bad.calls, 1, "at its first call");

	/* Two entries: the one done goes quiet, the other times out and is
	 * the one marked. */
	struct look quick = {.done_at = 1}, slow = {0};
	struct spore_xs_wait w[2] = {
		{.path = "/w/quick", .timeout_ms = 100, .look = look, .arg = &quick},
		{.path = "/w/slow", .timeout_ms = 200, .look = look, .arg = &slow},
	};
	is_int(spore_xs_wait_all(xs, w, 2, &err), -ETIMEDOUT, "the slow entry times out");
	ok(w[0].done && !w[0].timed_out, "the quick entry is done");
	ok(!w[1].done && w[1].timed_out, "the slow entry is the one timed out");
	is_int(quick.calls, 1, "a done entry is not looked at again");

	spore_xs_close(xs);
	int st = fxs_finish(&f);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the peer saw a well-formed conversation");

	/* Every watch set was removed, with its own token. */
	char log[4096];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(log) - 1 && (n = read(logp[0], log + got, sizeof(log) - 1 - got)) > 0)
		got += (size_t)n;
	log[got] = '\0';
	char *lines[32];
	int nl = 0, watches = 0, matched = 0;
	for (char *line = strtok(log, "\n"); line && nl < 32; line = strtok(NULL, "\n"))
		lines[nl++] = line;
	for (int i = 0; i < nl; i++) {
		if (strncmp(lines[i], "WATCH ", 6))
			continue;
		watches++;
		for (int j = i + 1; j < nl; j++)
			if (!strncmp(lines[j], "UNWATCH ", 8) && !strcmp(lines[j] + 8, lines[i] + 6)) {
				matched++;
				break;
			}
	}
	is_int(watches, 5, "five watches were set");
	is_int(matched, watches, "each was removed again with its path and token");
	close(logp[0]);
	return tap_done();
}
