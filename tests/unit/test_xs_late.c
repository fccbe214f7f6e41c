/* A reply that comes after its request timed out is dropped when it comes,
 * not taken for the next request's (which put every later reply one
 * request behind: a launch's cleanup then failed on every xenstore call and
 * left its nodes behind); a transaction whose start was given up on is
 * aborted once its id comes. */
#include <spore/xenstore.h>

#include <errno.h>
#include <string.h>

#include "fake_xenstored.h"
#include "tap.h"

struct msg {
	uint32_t type, req, tx;
	char body[256];
};

static void recv_msg(int fd, struct msg *m)
{
	uint32_t hdr[4];
	char body[4096];
	if (fxs_read_full(fd, hdr, sizeof(hdr)) < 0 || hdr[3] > sizeof(body) ||
	    fxs_read_full(fd, body, hdr[3]) < 0)
		_exit(2);
	m->type = hdr[0];
	m->req = hdr[1];
	m->tx = hdr[2];
	memset(m->body, 0, sizeof(m->body));
	memcpy(m->body, body, hdr[3] < sizeof(m->body) - 1 ? hdr[3] : sizeof(m->body) - 1);
}

static void reply_read(int fd, const struct msg *m)
{
	fxs_send(fd, XS_READ, m->req, NULL, 0, m->body, strlen(m->body));
}

/* The peer: leaves a READ unanswered until the next one comes, then
 * answers both in order; then the same with a TRANSACTION_START, whose
 * late id must be ended (aborted) by the client. */
static void peer(int lfd, void *arg)
{
	int fd = accept(lfd, NULL, NULL);
	struct msg slow, next, start, end;
	const char *okay[] = {"OK"};

	(void)arg;
	if (fd < 0)
		_exit(2);
	recv_msg(fd, &slow);
	recv_msg(fd, &next); /* sent once the client gave up on the first */
	if (slow.type != XS_READ || next.type != XS_READ)
		_exit(5);
	reply_read(fd, &slow);
	reply_read(fd, &next);

	recv_msg(fd, &start);
	recv_msg(fd, &next);
	if (start.type != XS_TRANSACTION_START || next.type != XS_READ)
		_exit(6);
	fxs_send(fd, XS_TRANSACTION_START, start.req, NULL, 0, "42", 3);
	reply_read(fd, &next);
	recv_msg(fd, &end);
	if (end.type != XS_TRANSACTION_END || end.tx != 42 || strcmp(end.body, "F"))
		_exit(7);
	fxs_send(fd, XS_TRANSACTION_END, end.req, okay, 1, NULL, 0);
	/* One more round trip: the END's reply is dropped on the way. */
	recv_msg(fd, &next);
	reply_read(fd, &next);
	/* A batch of three left unanswered until the next request. */
	struct msg b[3];
	for (int i = 0; i < 3; i++)
		recv_msg(fd, &b[i]);
	recv_msg(fd, &next);
	for (int i = 0; i < 3; i++)
		reply_read(fd, &b[i]);
	reply_read(fd, &next);
	char c;
	while (read(fd, &c, 1) > 0)
		;
	_exit(0);
}

static int noop_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	(void)xs, (void)tx, (void)arg, (void)err;
	return 0;
}

int main(void)
{
	struct spore_err err = {0};
	struct spore_xs *xs = NULL;
	struct fxs f;
	char *val = NULL;
	size_t len = 0;

	if (fxs_start(&f, peer, NULL) < 0)
		return 1;
	is_int(spore_xs_open_path(&xs, f.path, &err), 0, "connect to the scripted peer: %s", err.msg);
	spore_xs_set_reply_timeout(xs, 200);

	is_int(spore_xs_read(xs, 0, "/slow", &val, &len, &err), -ETIMEDOUT,
	       "a read without a reply in time times out");
	spore_err_clear(&err);
	is_int(spore_xs_read(xs, 0, "/next", &val, &len, &err), 0,
	       "the next read succeeds after the late reply: %s", err.msg);
	is_str(val, "/next", "and gets its own value, not the late one");
	free(val);
	val = NULL;

	/* The START's reply is late; the transaction fails with a timeout. */
	is_int(spore_xs_transact(xs, noop_tx, NULL, &err), -ETIMEDOUT,
	       "a transaction whose start is not answered in time times out");
	spore_err_clear(&err);
	is_int(spore_xs_read(xs, 0, "/after-start", &val, &len, &err), 0,
	       "the next read succeeds after the late transaction id: %s", err.msg);
	is_str(val, "/after-start", "and gets its own value");
	free(val);
	val = NULL;
	is_int(spore_xs_read(xs, 0, "/after-end", &val, &len, &err), 0,
	       "the abort's own reply is dropped too: %s", err.msg);
	is_str(val, "/after-end", "and the read after it gets its own value");
	free(val);
	val = NULL;

	struct spore_xs_op ops[3] = {
		{.type = XS_READ, .path = "/b/0"},
		{.type = XS_READ, .path = "/b/1"},
		{.type = XS_READ, .path = "/b/2"},
	};
	is_int(spore_xs_batch(xs, 0, ops, 3, &err), -ETIMEDOUT, "a batch without replies times out");
	spore_xs_batch_free(ops, 3);
	spore_err_clear(&err);
	is_int(spore_xs_read(xs, 0, "/after-batch", &val, &len, &err), 0,
	       "the read after it skips the batch's three late replies: %s", err.msg);
	is_str(val, "/after-batch", "and gets its own value");
	free(val);

	spore_xs_close(xs);
	int st = fxs_finish(&f);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the peer saw the late transaction aborted (peer status %d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return tap_done();
}
