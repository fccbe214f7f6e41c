/* spore_xs_batch against a scripted peer on a Unix socket: the pipelined
 * requests all go out before any reply is read, replies are matched by id
 * whatever their order, error replies land on their op, and a watch event
 * met among the replies is queued, not lost. */
#include <spore/xenstore.h>

#include <errno.h>
#include <string.h>

#include "fake_xenstored.h"
#include "tap.h"

#define NOPS 5

/* The peer: takes all NOPS requests first (proving they were pipelined),
 * then answers in reverse order with a watch event in between. */
static void peer(int lfd, void *arg)
{
	int fd = accept(lfd, NULL, NULL);
	struct {
		uint32_t type, req;
		char path[64];
	} in[NOPS];

	(void)arg;
	if (fd < 0)
		_exit(2);
	for (int i = 0; i < NOPS; i++) {
		uint32_t hdr[4];
		char body[4096];
		if (fxs_read_full(fd, hdr, sizeof(hdr)) < 0 || hdr[3] > sizeof(body) ||
		    fxs_read_full(fd, body, hdr[3]) < 0)
			_exit(2);
		in[i].type = hdr[0];
		in[i].req = hdr[1];
		body[sizeof(body) - 1] = 0;
		snprintf(in[i].path, sizeof(in[i].path), "%.63s", body);
	}
	for (int i = NOPS - 1; i >= 0; i--) {
		const char *ev[] = {"/some/watched", "tok"};
		const char *enoent[] = {"ENOENT"};
		const char *okay[] = {"OK"};
		if (i == 2)
			fxs_send(fd, XS_WATCH_EVENT, 0, ev, 2, NULL, 0);
		if (in[i].type == XS_READ && strstr(in[i].path, "missing"))
			fxs_send(fd, XS_ERROR, in[i].req, enoent, 1, NULL, 0);
		else if (in[i].type == XS_READ)
			fxs_send(fd, XS_READ, in[i].req, NULL, 0, in[i].path, strlen(in[i].path));
		else
			fxs_send(fd, in[i].type, in[i].req, okay, 1, NULL, 0);
	}
	/* Wait for the client to hang up. */
	char c;
	while (read(fd, &c, 1) > 0)
		;
	_exit(0);
}

int main(void)
{
	struct spore_err err = {0};
	struct spore_xs *xs = NULL;
	struct fxs f;

	if (fxs_start(&f, peer, NULL) < 0)
		return 1;
	is_int(spore_xs_open_path(&xs, f.path, &err), 0, "connect to the scripted peer: %s", err.msg);
	struct spore_xs_op ops[NOPS] = {
		{.type = XS_READ, .path = "/a/first"},
		{.type = XS_WRITE, .path = "/a/w", .val = "v", .len = 1},
		{.type = XS_READ, .path = "/a/missing", .may_fail = true},
		{.type = XS_MKDIR, .path = "/a/dir"},
		{.type = XS_READ, .path = "/a/last"},
	};
	is_int(spore_xs_batch(xs, 0, ops, NOPS, &err), 0, "a batch answered in reverse order: %s",
	       err.msg);
	is_str(ops[0].out, "/a/first", "first read gets its own value");
	is_str(ops[4].out, "/a/last", "last read gets its own value");
	ok(ops[1].result == 0 && ops[3].result == 0, "write and mkdir succeed");
	is_int(ops[2].result, -ENOENT, "the missing key's error lands on its op");
	ok(ops[2].out == NULL, "a failed read has no value");
	spore_xs_batch_free(ops, NOPS);

	struct spore_xs_event *ev = NULL;
	is_int(spore_xs_read_watch(xs, &ev, 0, &err), 0, "the watch event among replies was queued");
	ok(ev && !strcmp(ev->path, "/some/watched") && !strcmp(ev->token, "tok"),
	   "with its path and token");
	free(ev);

	spore_xs_close(xs);
	int st = fxs_finish(&f);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the peer read every request before the first reply was awaited");
	return tap_done();
}
