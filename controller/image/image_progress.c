/* Per-layer progress lines on a terminal; see image_progress.h. */
#include "image_progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct layer {
	char hex[13]; /* first 12 hex digits of the digest */
	uint64_t size, got, from;
	enum spore_layer_state st;
	struct timespec start, end;
};

struct spore_progress {
	pthread_mutex_t lock;
	int fd;
	unsigned cols;
	bool summary;  /* one line for all layers: they do not fit */
	size_t drawn;  /* lines on screen from the last draw */
	struct timespec start, last;
	size_t n;
	struct layer l[];
};

const char *spore_human_bytes(uint64_t n, char *buf, size_t len)
{
	if (n >= (1u << 30))
		snprintf(buf, len, "%.1f GiB", (double)n / (1u << 30));
	else if (n >= (1u << 20))
		snprintf(buf, len, "%.1f MiB", (double)n / (1u << 20));
	else if (n >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	return buf;
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "1023.9 MiB / 1023.9 MiB  1023.9 MiB/s  done" */
#define TAIL_MAX 42

char *spore_progress_line(char *buf, size_t len, unsigned cols, size_t i, size_t n,
			  const char *digest, enum spore_layer_state st, uint64_t got,
			  uint64_t got_from, uint64_t total, double secs)
{
	char head[64], tail[96], a[24], b[24], r[24];
	const char *hex = digest && !strncmp(digest, "sha256:", 7) ? digest + 7 : digest ? digest : "";
	snprintf(head, sizeof(head), "layer %zu/%zu %.12s", i + 1, n, hex);
	bool bar = false;
	switch (st) {
	case SPORE_LAYER_WAITING:
		snprintf(tail, sizeof(tail), "waiting (%s)", spore_human_bytes(total, a, sizeof(a)));
		break;
	case SPORE_LAYER_CACHED:
		snprintf(tail, sizeof(tail), "cached (%s)", spore_human_bytes(total, a, sizeof(a)));
		break;
	case SPORE_LAYER_FAILED:
		snprintf(tail, sizeof(tail), "failed at %s of %s", spore_human_bytes(got, a, sizeof(a)),
			 spore_human_bytes(total, b, sizeof(b)));
		break;
	case SPORE_LAYER_FETCHING:
	case SPORE_LAYER_DONE:
		bar = true;
		spore_human_bytes(secs > 0 && got > got_from ? (uint64_t)((double)(got - got_from) / secs) : 0,
				  r, sizeof(r));
		snprintf(tail, sizeof(tail), "%s / %s  %s/s%s", spore_human_bytes(got, a, sizeof(a)),
			 spore_human_bytes(total, b, sizeof(b)), r, st == SPORE_LAYER_DONE ? "  done" : "");
		break;
	}
	/* The bar gets what is left of the line once the widest tail fits,
	 * up to 30 cells, so that bars line up. */
	size_t room = cols > 1 ? cols - 1 : 0, used = strlen(head) + TAIL_MAX + 4;
	int w = bar && room >= used + 10 ? (int)(room - used) : 0;
	if (w > 30)
		w = 30;
	char cells[32] = "";
	if (w > 0) {
		int fill = total ? (int)((double)w * (double)(got > total ? total : got) / (double)total) : w;
		for (int k = 0; k < w; k++)
			cells[k] = k < fill ? '#' : '-';
		cells[w] = '\0';
	}
	snprintf(buf, len, "%s %s%s%s%s", head, w > 0 ? "[" : "", cells, w > 0 ? "] " : "", tail);
	if (room && strlen(buf) > room)
		buf[room] = '\0';
	return buf;
}

struct spore_progress *spore_progress_new(int fd, const struct spore_descriptor *layers, size_t n)
{
	struct spore_progress *p = calloc(1, sizeof(*p) + n * sizeof(p->l[0]));
	struct winsize ws = {0};
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->fd = fd;
	p->n = n;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_col)
		ws.ws_col = 80, ws.ws_row = 24;
	p->cols = ws.ws_col;
	p->summary = ws.ws_row && n + 2 > ws.ws_row;
	for (size_t i = 0; i < n; i++) {
		const char *d = layers[i].digest;
		/* The short id: the digest's first hex digits, truncated on purpose. */
		snprintf(p->l[i].hex, sizeof(p->l[i].hex), "%.*s", (int)sizeof(p->l[i].hex) - 1,
			 strncmp(d, "sha256:", 7) ? d : d + 7);
		p->l[i].size = layers[i].size;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	return p;
}

static void put(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* Redraws everything in one write, so that lines never interleave. */
static void draw(struct spore_progress *p, bool final, bool now_anyway)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && !now_anyway && p->drawn && since(&p->last, &now) < 0.1)
		return;
	p->last = now;
	size_t cap = (p->summary ? 1 : p->n) * (p->cols + 16) + 32, o = 0;
	char *out = malloc(cap), line[512];
	if (!out)
		return;
	if (p->drawn > 1)
		o += (size_t)snprintf(out + o, cap - o, "\033[%zuA", p->drawn - 1);
	if (p->summary) {
		uint64_t got = 0, total = 0, from = 0;
		size_t done = 0;
		for (size_t i = 0; i < p->n; i++) {
			got += p->l[i].got;
			from += p->l[i].from;
			total += p->l[i].size;
			done += p->l[i].st == SPORE_LAYER_DONE || p->l[i].st == SPORE_LAYER_CACHED;
		}
		char a[24], b[24], r[24];
		double t = since(&p->start, &now);
		snprintf(line, sizeof(line), "layers: %zu of %zu done, %s / %s, %s/s", done, p->n,
			 spore_human_bytes(got, a, sizeof(a)), spore_human_bytes(total, b, sizeof(b)),
			 spore_human_bytes(t > 0 && got > from ? (uint64_t)((double)(got - from) / t) : 0, r,
					   sizeof(r)));
		if (p->cols > 1 && strlen(line) > p->cols - 1)
			line[p->cols - 1] = '\0';
		o += (size_t)snprintf(out + o, cap - o, "\r\033[K%s%s", line, final ? "\n" : "");
		p->drawn = 1;
	} else {
		for (size_t i = 0; i < p->n; i++) {
			struct layer *l = &p->l[i];
			double secs = since(&l->start, l->st == SPORE_LAYER_DONE ? &l->end : &now);
			spore_progress_line(line, sizeof(line), p->cols, i, p->n, l->hex, l->st, l->got, l->from,
					    l->size, secs);
			/* The cursor stays on the last line until the end. */
			o += (size_t)snprintf(out + o, cap - o, "\r\033[K%s%s", line,
					      i + 1 < p->n || final ? "\n" : "");
		}
		p->drawn = p->n;
	}
	put(p->fd, out, o);
	free(out);
}

void spore_progress_state(struct spore_progress *p, size_t i, enum spore_layer_state st,
			  uint64_t from)
{
	if (!p || i >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	struct layer *l = &p->l[i];
	l->st = st;
	if (st == SPORE_LAYER_FETCHING) {
		clock_gettime(CLOCK_MONOTONIC, &l->start);
		l->got = l->from = from;
	} else if (st == SPORE_LAYER_DONE || st == SPORE_LAYER_CACHED) {
		clock_gettime(CLOCK_MONOTONIC, &l->end);
		l->got = l->size;
		if (st == SPORE_LAYER_CACHED) /* not downloaded: no part of a rate */
			l->from = l->size;
	}
	draw(p, false, true);
	pthread_mutex_unlock(&p->lock);
}

void spore_progress_bytes(struct spore_progress *p, size_t i, uint64_t bytes)
{
	if (!p || i >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	p->l[i].got = bytes;
	draw(p, false, false);
	pthread_mutex_unlock(&p->lock);
}

void spore_progress_end(struct spore_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	draw(p, true, true);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
