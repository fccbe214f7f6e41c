/* The launch-duration histogram; see launch_hist.h. */
#include "launch_hist.h"
#include "expo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY "spore_launch_duration_seconds"
#define FILE_MAGIC "spore-launch-histogram 1"

static const struct {
	uint64_t ns;
	const char *le;
} bound[LAUNCH_HIST_NBOUNDS] = {
	{10000000ull, "0.01"},	  {25000000ull, "0.025"},   {50000000ull, "0.05"},
	{100000000ull, "0.1"},	  {250000000ull, "0.25"},   {500000000ull, "0.5"},
	{1000000000ull, "1"},	  {2500000000ull, "2.5"},   {5000000000ull, "5"},
	{10000000000ull, "10"},	  {30000000000ull, "30"},   {60000000000ull, "60"},
};
static const char *const result[2] = {"ok", "failed"};

static const char *step_name(int k)
{
	return k == LAUNCH_HIST_TOTAL ? "total" : spore_launch_phase_name(k);
}

static void add(struct launch_hist_series *s, uint64_t ns)
{
	int b = 0;
	while (b < LAUNCH_HIST_NBOUNDS && ns > bound[b].ns)
		b++;
	s->in[b]++;
	s->count++;
	s->sum_ns += ns;
}

void launch_hist_observe(struct launch_hist *h, const struct spore_svc_launched *m)
{
	int r = m->failed ? 1 : 0;
	for (int k = 0; k < SPORE_LAUNCH_NPHASES; k++)
		if (m->reached >> k & 1)
			add(&h->s[k][r], m->ns[k]);
	add(&h->s[LAUNCH_HIST_TOTAL][r], m->total_ns);
}

void launch_hist_render(FILE *f, const struct launch_hist *h)
{
	bool begun = false;
	for (int k = 0; k <= LAUNCH_HIST_TOTAL; k++) {
		for (int r = 0; r < 2; r++) {
			const struct launch_hist_series *s = &h->s[k][r];
			struct expo_label l[] = {{"step", step_name(k)}, {"result", result[r]},
						 {"le", NULL}};
			uint64_t cum = 0;
			if (!s->count)
				continue;
			if (!begun)
				expo_family(f, FAMILY, EXPO_HISTOGRAM,
					    "Time a launch took (sporectl's measure), by phase and "
					    "in total, launches that failed included");
			begun = true;
			for (int b = 0; b <= LAUNCH_HIST_NBOUNDS; b++) {
				cum += s->in[b];
				l[2].value = b < LAUNCH_HIST_NBOUNDS ? bound[b].le : "+Inf";
				expo_u64(f, FAMILY "_bucket", l, 3, cum);
			}
			expo_ns_as_seconds(f, FAMILY "_sum", l, 2, s->sum_ns);
			expo_u64(f, FAMILY "_count", l, 2, s->count);
		}
	}
}

void launch_hist_encode(FILE *f, const struct launch_hist *h)
{
	fputs(FILE_MAGIC "\n", f);
	for (int k = 0; k <= LAUNCH_HIST_TOTAL; k++) {
		for (int r = 0; r < 2; r++) {
			const struct launch_hist_series *s = &h->s[k][r];
			if (!s->count)
				continue;
			fprintf(f, "%s %s %" PRIu64 " %" PRIu64, step_name(k), result[r], s->count,
				s->sum_ns);
			for (int b = 0; b <= LAUNCH_HIST_NBOUNDS; b++)
				fprintf(f, " %" PRIu64, s->in[b]);
			fputc('\n', f);
		}
	}
}

/* One decimal u64 at *p, then a space or the line's end (both taken:
 * (*p)[-1] says which). */
static int number(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (*s != ' ' && *s != '\n')
		return -EINVAL;
	*v = x;
	*p = s + 1;
	return 0;
}

/* A word at *p among n names, then a space: its index. */
static int word(const char **p, const char *(*name)(int), int n)
{
	for (int i = 0; i < n; i++) {
		size_t len = strlen(name(i));
		if (!strncmp(*p, name(i), len) && (*p)[len] == ' ') {
			*p += len + 1;
			return i;
		}
	}
	return -EINVAL;
}

static const char *result_name(int r)
{
	return result[r];
}

int launch_hist_decode(const char *text, struct launch_hist *h)
{
	const char *p = text;
	int e = -EINVAL;

	memset(h, 0, sizeof(*h));
	if (strncmp(p, FILE_MAGIC "\n", sizeof(FILE_MAGIC)))
		goto out;
	p += sizeof(FILE_MAGIC);
	while (*p) {
		int k = word(&p, step_name, LAUNCH_HIST_TOTAL + 1);
		int r = k < 0 ? -EINVAL : word(&p, result_name, 2);
		if (r < 0)
			goto out;
		struct launch_hist_series *s = &h->s[k][r], got = {0};
		uint64_t n = 0;
		if (s->count || number(&p, &got.count) < 0 || p[-1] != ' ' ||
		    number(&p, &got.sum_ns) < 0 || p[-1] != ' ')
			goto out;
		/* The line ends after the last bucket. */
		for (int b = 0; b <= LAUNCH_HIST_NBOUNDS; b++) {
			if (number(&p, &got.in[b]) < 0 ||
			    p[-1] != (b < LAUNCH_HIST_NBOUNDS ? ' ' : '\n') || got.in[b] > UINT64_MAX - n)
				goto out;
			n += got.in[b];
		}
		/* A series written is one seen, its buckets its count. */
		if (!got.count || n != got.count)
			goto out;
		*s = got;
	}
	e = 0;
out:
	if (e < 0)
		memset(h, 0, sizeof(*h));
	return e;
}
