/* spored's restarter; see restarter.h. */
#include "restarter.h"

#include "guest_reap.h"
#include "restart_policy.h"
#include <spore/guest_record.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Restarts running at once; more wait for one to end. */
#define MAX_CHILDREN 32

struct pending {
	char uuid[37];
	int64_t due_ms; /* unix ms */
};

struct child {
	char uuid[37];
	pid_t pid;
	int fd; /* pidfd */
};

struct restarter {
	struct spore_xs *xs;
	const char *sporectl;
	struct spore_uuid_set todo;
	bool all; /* judge every record: the first run, or an event naming them all */
	struct pending *pending;
	size_t npending, cap;
	struct child child[MAX_CHILDREN];
	size_t nchild;
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int restarter_new(struct restarter **rp, struct spore_xs *xs, const char *sporectl,
		  struct spore_err *err)
{
	struct restarter *r = calloc(1, sizeof(*r));
	if (!r)
		return spore_err_set(err, ENOMEM, "restarter");
	r->xs = xs;
	r->sporectl = sporectl;
	r->all = true;
	*rp = r;
	return 0;
}

void restarter_free(struct restarter *r)
{
	if (!r)
		return;
	/* The children go on: each is a start that finishes by itself. */
	for (size_t i = 0; i < r->nchild; i++)
		close(r->child[i].fd);
	spore_uuid_set_free(&r->todo);
	free(r->pending);
	free(r);
}

bool restarter_event(struct restarter *r, const struct spore_xs_event *ev)
{
	char uuid[37];
	if (strcmp(ev->token, "records"))
		return false;
	int k = spore_reap_event_uuid(ev->path, uuid);
	if (k == 0)
		r->all = true;
	else if (k > 0 && spore_uuid_set_add(&r->todo, uuid) < 0)
		r->all = true; /* out of memory: the full pass copes */
	return true;
}

static struct pending *pending_find(struct restarter *r, const char *uuid)
{
	for (size_t i = 0; i < r->npending; i++)
		if (!strcmp(r->pending[i].uuid, uuid))
			return &r->pending[i];
	return NULL;
}

static void pending_drop(struct restarter *r, const char *uuid)
{
	struct pending *p = pending_find(r, uuid);
	if (p)
		*p = r->pending[--r->npending];
}

static bool child_running(const struct restarter *r, const char *uuid)
{
	for (size_t i = 0; i < r->nchild; i++)
		if (!strcmp(r->child[i].uuid, uuid))
			return true;
	return false;
}

/* Writes the schedule into the record (restart-at last: a spored killed in
 * between recomputes it). */
static int schedule_write(struct restarter *r, const char *uuid, uint32_t backoff, int64_t due,
			  struct spore_err *err)
{
	char v[24];
	int e;
	snprintf(v, sizeof(v), "%" PRIu32, backoff);
	if ((e = spore_guest_set(r->xs, uuid, SPORE_REC_BACKOFF_MS, v, err)) < 0)
		return e;
	snprintf(v, sizeof(v), "%" PRId64, due);
	return spore_guest_set(r->xs, uuid, SPORE_REC_RESTART_AT, v, err);
}

/* One record: pending (with its due time) if its policy wants it back, not
 * pending otherwise. */
static void judge(struct restarter *r, const char *uuid)
{
	struct spore_guest *g = malloc(sizeof(*g));
	struct spore_err e = {0};

	if (!g)
		return;
	int k = spore_guest_read(r->xs, uuid, g, &e);
	if (k < 0 || strcmp(g->state, "exited") || !spore_restart_wanted(g)) {
		if (k < 0 && k != -ENOENT)
			log_warn("restarter: guest %s: %s", uuid, e.msg);
		pending_drop(r, uuid);
		goto out;
	}
	if (child_running(r, uuid))
		goto out;
	int64_t due = g->restart_at;
	if (due <= 0) {
		/* Scheduled now: the back-off from the last one. */
		uint32_t backoff = spore_restart_backoff(g->backoff_ms, g->started, g->exited);
		due = now_ms() + backoff;
		if (schedule_write(r, uuid, backoff, due, &e) < 0) {
			log_warn("restarter: guest %s: keeping its restart's schedule: %s", g->name, e.msg);
			spore_err_clear(&e);
		}
		log_info("restarter: guest %s (%s) exited (%s): restart %" PRIu32 " in %" PRIu32 " ms",
			 g->name, uuid, g->exit_status, g->restart_count + 1, backoff);
	}
	struct pending *p = pending_find(r, uuid);
	if (!p) {
		if (r->npending == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 16;
			struct pending *grown = realloc(r->pending, cap * sizeof(*grown));
			if (!grown)
				goto out;
			r->pending = grown;
			r->cap = cap;
		}
		p = &r->pending[r->npending++];
		memcpy(p->uuid, uuid, 37);
	}
	p->due_ms = due;
out:
	free(g);
}

/* `sporectl start --by-policy UUID` in a child: its stdin and stdout go
 * nowhere, its stderr is spored's (the log). */
static void spawn(struct restarter *r, const char *uuid)
{
	char id[37];
	memcpy(id, uuid, 37);
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("restarter: guest %s: fork: %s", id, strerror(errno));
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		/* Nothing of spored's reaches the start but its log. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		char *argv[] = {"sporectl", "start", "--by-policy", id, NULL};
		execvp(r->sporectl, argv);
		dprintf(STDERR_FILENO, "spored: restarter: exec %s: %s\n", r->sporectl,
			strerror(errno));
		_exit(127);
	}
	int fd = pidfd_open(pid, 0);
	if (fd < 0) {
		/* No pidfd: wait for it here (a start takes seconds, rarely). */
		log_warn("restarter: pidfd_open: %s; waiting for the start", strerror(errno));
		waitpid(pid, NULL, 0);
		return;
	}
	struct child *c = &r->child[r->nchild++];
	memcpy(c->uuid, id, 37);
	c->pid = pid;
	c->fd = fd;
	log_info("restarter: starting guest %s again (pid %d)", id, (int)pid);
}

void restarter_run(struct restarter *r)
{
	struct spore_err e = {0};

	if (r->all) {
		r->all = false;
		if (spore_reap_all_uuids(r->xs, &r->todo, &e) < 0) {
			log_warn("restarter: listing guests: %s", e.msg);
			r->all = true;
		}
	}
	for (size_t i = 0; i < r->todo.n; i++)
		judge(r, r->todo.v[i]);
	spore_uuid_set_free(&r->todo);
	int64_t now = now_ms();
	for (size_t i = 0; i < r->npending && r->nchild < MAX_CHILDREN;) {
		if (r->pending[i].due_ms > now) {
			i++;
			continue;
		}
		char uuid[37];
		memcpy(uuid, r->pending[i].uuid, 37);
		r->pending[i] = r->pending[--r->npending];
		spawn(r, uuid);
	}
}

size_t restarter_pollfds(struct restarter *r, struct pollfd *p, size_t max, int *timeout_ms)
{
	size_t n = 0;
	int64_t now = now_ms();

	for (size_t i = 0; i < r->nchild && n < max; i++)
		p[n++] = (struct pollfd){.fd = r->child[i].fd, .events = POLLIN};
	/* With every child slot taken, what is due waits for a child's end. */
	for (size_t i = 0; i < r->npending && r->nchild < MAX_CHILDREN; i++) {
		int64_t wait = r->pending[i].due_ms - now;
		int t = wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait;
		if (*timeout_ms < 0 || t < *timeout_ms)
			*timeout_ms = t;
	}
	return n;
}

void restarter_polled(struct restarter *r, const struct pollfd *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		struct child *c = NULL;
		for (size_t k = 0; k < r->nchild && !c; k++)
			if (r->child[k].fd == p[i].fd)
				c = &r->child[k];
		if (!c)
			continue;
		int st = 0;
		if (waitpid(c->pid, &st, WNOHANG) == 0)
			continue;
		char uuid[37];
		memcpy(uuid, c->uuid, 37);
		close(c->fd);
		*c = r->child[--r->nchild];
		/* Judged again: what happened while it ran was left to it. */
		spore_uuid_set_add(&r->todo, uuid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		/* The start failed: its record may still say exited with the
		 * same schedule; the next try waits a longer back-off. */
		log_warn("restarter: starting guest %s again failed (%s %d); trying again later",
			 uuid, WIFEXITED(st) ? "status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		struct spore_err e = {0};
		struct spore_guest *g = malloc(sizeof(*g));
		if (g && spore_guest_read(r->xs, uuid, g, &e) >= 0 && !strcmp(g->state, "exited")) {
			uint32_t backoff = spore_restart_backoff(g->backoff_ms ? g->backoff_ms
									       : SPORE_RESTART_BACKOFF_MIN_MS,
								 g->started, g->started);
			if (schedule_write(r, uuid, backoff, now_ms() + backoff, &e) < 0)
				log_warn("restarter: guest %s: %s", uuid, e.msg);
		}
		free(g);
	}
}
