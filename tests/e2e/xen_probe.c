/* spore-xen-probe: drives the Xen access layer in ways no sporectl verb
 * does yet, for the end-to-end tests in dom0. Prints TAP lines ("ok - ...")
 * for the suite, or one error line and exit 1.
 *
 *   spore-xen-probe domain-cycle        create an empty PV domain, find it
 *                                       in the domain list, destroy it
 *   spore-xen-probe getinfo DOMID       print one domain or fail
 *   spore-xen-probe tx-counter PATH P N P processes each add 1 to PATH N
 *                                       times in transactions
 *   spore-xen-probe watch-queue PATH    events that arrive while replies are
 *                                       awaited are queued and make the watch
 *                                       fd readable
 *   spore-xen-probe xs-loop PATH N      N writes + N reads; prints ms taken */
#include "domctl.h"
#include "evtchn.h"
#include "hypercall.h"
#include <spore/clock.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const struct spore_err *err)
{
	fprintf(stderr, "spore-xen-probe: %s\n", err->msg);
	return 1;
}

static int in_list(struct spore_xc *xc, uint32_t domid, struct spore_err *err)
{
	static struct spore_dominfo list[1024];
	int n = spore_xc_domain_getinfolist(xc, 0, list, 1024, err);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (list[i].domid == domid)
			return 1;
	return 0;
}

static int domain_cycle(void)
{
	struct spore_err err = {0};
	struct spore_xc *xc;
	struct spore_domain_config cfg = {.max_vcpus = 1};
	struct spore_dominfo info;
	/* A fixed id with a free id below it, for the 4.17 quirk below. */
	uint32_t domid = 4000;

	if (spore_xc_open(&xc, &err) < 0)
		return fail(&err);
	memcpy(cfg.handle, "spore-e2e-probe!", 16);
	if (spore_xc_domain_create(xc, &domid, &cfg, &err) < 0) {
		printf("not ok - createdomain: %s\n", err.msg);
		spore_xc_close(xc);
		return 0;
	}
	printf("%s - createdomain gave the requested domain %" PRIu32 "\n",
	       domid == 4000 ? "ok" : "not ok", domid);
	int r = spore_xc_domain_max_vcpus(xc, domid, 1, &err);
	printf("%s - max_vcpus 1%s%s\n", r ? "not ok" : "ok", r ? ": " : "", r ? err.msg : "");
	r = spore_xc_domain_max_mem(xc, domid, 65536, &err);
	printf("%s - max_mem 64 MiB%s%s\n", r ? "not ok" : "ok", r ? ": " : "", r ? err.msg : "");
	r = spore_xc_evtchn_alloc_unbound(xc, domid, 0, &err);
	printf("%s - alloc_unbound port for dom0 (%d)\n", r > 0 ? "ok" : "not ok", r);
	r = spore_xc_domain_getinfo(xc, domid, &info, &err);
	printf("%s - getdomaininfo finds it, paused\n",
	       r == 0 && info.domid == domid && (info.flags & XEN_DOMINF_paused) &&
			       !memcmp(info.handle, "spore-e2e-probe!", 16)
		       ? "ok" : "not ok");
	printf("%s - getdomaininfolist lists it\n", in_list(xc, domid, &err) == 1 ? "ok" : "not ok");
	/* Xen 4.17 answers getdomaininfo for a free id with the next domain. */
	r = spore_xc_domain_getinfo(xc, domid - 1, &info, &err);
	printf("%s - getdomaininfo on the free id below it says: %s\n",
	       r == -ESRCH ? "ok" : "not ok", r ? err.msg : "(found)");
	r = spore_xc_domain_destroy(xc, domid, &err);
	printf("%s - destroydomain%s%s\n", r ? "not ok" : "ok", r ? ": " : "", r ? err.msg : "");
	/* A destroyed domain can linger as dying for a moment. */
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		gone = in_list(xc, domid, &err) == 0;
		if (!gone)
			usleep(50000);
	}
	printf("%s - it is gone from getdomaininfolist\n", gone ? "ok" : "not ok");
	r = spore_xc_domain_getinfo(xc, domid, &info, &err);
	printf("%s - getdomaininfo on it now says: %s\n", r == -ESRCH ? "ok" : "not ok",
	       r ? err.msg : "(found)");
	spore_xc_close(xc);
	return 0;
}

static int getinfo(const char *arg)
{
	struct spore_err err = {0};
	struct spore_xc *xc;
	struct spore_dominfo info;
	char *end;
	unsigned long domid = strtoul(arg, &end, 10);

	if (*end || !*arg) {
		fprintf(stderr, "spore-xen-probe: '%s' is not a domain id\n", arg);
		return 2;
	}
	if (spore_xc_open(&xc, &err) < 0)
		return fail(&err);
	int r = spore_xc_domain_getinfo(xc, (uint32_t)domid, &info, &err);
	spore_xc_close(xc);
	if (r < 0)
		return fail(&err);
	printf("domain %" PRIu32 " pages %" PRIu64 " vcpus %" PRIu32 "\n", info.domid,
	       info.tot_pages, info.nr_online_vcpus);
	return 0;
}

struct counter {
	const char *path;
	unsigned attempts;
};

/* Read, dawdle, write: slow enough that concurrent increments conflict. */
static int increment(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	struct counter *c = arg;
	char *val, buf[32];
	size_t len;

	c->attempts++;
	int r = spore_xs_read(xs, tx, c->path, &val, &len, err);
	if (r < 0)
		return r;
	long v = strtol(val, NULL, 10);
	free(val);
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	snprintf(buf, sizeof(buf), "%ld", v + 1);
	return spore_xs_write_str(xs, tx, c->path, buf, err);
}

static int tx_counter(const char *path, int procs, int iters)
{
	struct spore_err err = {0};
	struct spore_xs *xs;
	int pipefd[2];

	if (spore_xs_open(&xs, &err) < 0 || spore_xs_write_str(xs, 0, path, "0", &err) < 0)
		return fail(&err);
	if (pipe(pipefd) < 0)
		return 1;
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			struct spore_xs *cx;
			struct counter c = {.path = path};
			int bad = 0;
			if (spore_xs_open(&cx, &err) < 0)
				_exit(1);
			for (int i = 0; i < iters; i++)
				if (spore_xs_transact(cx, increment, &c, &err) < 0) {
					fprintf(stderr, "spore-xen-probe: %s\n", err.msg);
					bad = 1;
					break;
				}
			spore_xs_close(cx);
			if (write(pipefd[1], &c.attempts, sizeof(c.attempts)) < 0)
				bad = 1;
			_exit(bad);
		}
	}
	close(pipefd[1]);
	unsigned total = 0, a;
	int ok_children = 1, status;
	while (read(pipefd[0], &a, sizeof(a)) == (ssize_t)sizeof(a))
		total += a;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ok_children = 0;
	char *val;
	if (spore_xs_read(xs, 0, path, &val, NULL, &err) < 0)
		return fail(&err);
	long final = strtol(val, NULL, 10);
	free(val);
	spore_xs_close(xs);
	printf("%s - %d writers finished their transactions\n", ok_children ? "ok" : "not ok",
	       procs);
	printf("%s - counter is %ld, want %d (no lost update)\n",
	       final == (long)procs * iters ? "ok" : "not ok", final, procs * iters);
	printf("%s - conflicts happened and were retried (%u attempts for %d commits)\n",
	       total > (unsigned)(procs * iters) ? "ok" : "not ok", total, procs * iters);
	return 0;
}

static int watch_queue(const char *path)
{
	struct spore_err err = {0};
	struct spore_xs *xs;
	struct spore_xs_event *ev;
	char child[256];
	struct pollfd pfd;

	if (spore_xs_open(&xs, &err) < 0 || spore_xs_write_str(xs, 0, path, "", &err) < 0 ||
	    spore_xs_watch(xs, path, "tok", &err) < 0)
		return fail(&err);
	/* Our own writes fire the watch while we wait for their replies. */
	for (int i = 0; i < 3; i++) {
		snprintf(child, sizeof(child), "%s/c%d", path, i);
		if (spore_xs_write_str(xs, 0, child, "x", &err) < 0)
			return fail(&err);
	}
	pfd = (struct pollfd){.fd = spore_xs_watch_fd(xs), .events = POLLIN};
	printf("%s - the watch fd is readable with events queued\n",
	       poll(&pfd, 1, 5000) == 1 ? "ok" : "not ok");
	int n = 0, tok_ok = 1;
	while (spore_xs_read_watch(xs, &ev, 2000, &err) == 0) {
		tok_ok &= !strcmp(ev->token, "tok");
		free(ev);
		if (++n == 4)
			break;
	}
	printf("%s - 4 events (registration + 3 writes) came, with their token (%d)\n",
	       n == 4 && tok_ok ? "ok" : "not ok", n);
	pfd.revents = 0;
	printf("%s - the watch fd is quiet once they are taken\n",
	       poll(&pfd, 1, 200) == 0 ? "ok" : "not ok");
	printf("%s - read_watch times out with EAGAIN when idle\n",
	       spore_xs_read_watch(xs, &ev, 100, &err) == -EAGAIN ? "ok" : "not ok");
	spore_xs_rm(xs, 0, path, &err);
	spore_xs_close(xs);
	return 0;
}

static int xs_loop(const char *path, long n)
{
	struct spore_err err = {0};
	struct spore_xs *xs;
	char v[24], *val;

	if (spore_xs_open(&xs, &err) < 0)
		return fail(&err);
	int64_t start = spore_now_ms();
	for (long i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%ld", i);
		if (spore_xs_write_str(xs, 0, path, v, &err) < 0 ||
		    spore_xs_read(xs, 0, path, &val, NULL, &err) < 0)
			return fail(&err);
		free(val);
	}
	printf("%lld\n", (long long)(spore_now_ms() - start));
	spore_xs_close(xs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "watch-queue"))
		return watch_queue(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "xs-loop"))
		return xs_loop(argv[2], atol(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "domain-cycle"))
		return domain_cycle();
	if (argc == 3 && !strcmp(argv[1], "getinfo"))
		return getinfo(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "tx-counter"))
		return tx_counter(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: spore-xen-probe domain-cycle | getinfo DOMID | "
			"tx-counter PATH PROCS ITERS | watch-queue PATH | xs-loop PATH N\n");
	return 2;
}
