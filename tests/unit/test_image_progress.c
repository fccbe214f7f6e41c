/* The per-layer progress line: what it says in each state, the bar's fill,
 * the rate of a resumed download, and that it never wraps the terminal. */
#include "image_progress.h"

#include "tap.h"

#define D "sha256:46f1b2ecf43599ad8f7d2ab2e31bd2c5c23b5e28e1be2846d6f3c8e4f10f9a77"
#define MiB (1ull << 20)

int main(void)
{
	char l[512], b[32];

	ok(!strcmp(spore_human_bytes(512, b, sizeof(b)), "512 B") &&
		   !strcmp(spore_human_bytes(1536, b, sizeof(b)), "1.5 KiB") &&
		   !strcmp(spore_human_bytes(25 * MiB + MiB / 10, b, sizeof(b)), "25.1 MiB") &&
		   !strcmp(spore_human_bytes(3ull << 30, b, sizeof(b)), "3.0 GiB"),
	   "sizes in B, KiB, MiB, GiB");

	spore_progress_line(l, sizeof(l), 80, 0, 3, D, SPORE_LAYER_WAITING, 0, 0, 25 * MiB, 0);
	ok(!strcmp(l, "layer 1/3 46f1b2ecf435 waiting (25.0 MiB)"), "waiting: %s", l);
	spore_progress_line(l, sizeof(l), 80, 1, 3, D, SPORE_LAYER_CACHED, 0, 0, 25 * MiB, 0);
	ok(!strcmp(l, "layer 2/3 46f1b2ecf435 cached (25.0 MiB)"), "cached: %s", l);

	spore_progress_line(l, sizeof(l), 100, 2, 3, D, SPORE_LAYER_FETCHING, 10 * MiB, 0, 40 * MiB, 2.0);
	ok(strstr(l, "layer 3/3 46f1b2ecf435 [") && strstr(l, "] 10.0 MiB / 40.0 MiB  5.0 MiB/s") &&
		   !strstr(l, "done"),
	   "fetching: bytes, total and rate: %s", l);
	const char *bar = strchr(l, '['), *end = strchr(l, ']');
	size_t fill = 0, w = bar && end ? (size_t)(end - bar - 1) : 0;
	for (const char *c = bar ? bar + 1 : end; c && c < end; c++)
		fill += *c == '#';
	ok(w >= 10 && w <= 30 && fill == w / 4, "the bar is a quarter full (%zu of %zu)", fill, w);

	spore_progress_line(l, sizeof(l), 100, 0, 1, D, SPORE_LAYER_FETCHING, 30 * MiB, 20 * MiB, 40 * MiB, 2.0);
	ok(strstr(l, "30.0 MiB / 40.0 MiB  5.0 MiB/s") != NULL, "a resumed download's rate counts new bytes only: %s", l);
	spore_progress_line(l, sizeof(l), 100, 0, 1, D, SPORE_LAYER_DONE, 40 * MiB, 0, 40 * MiB, 4.0);
	ok(strstr(l, "] 40.0 MiB / 40.0 MiB  10.0 MiB/s  done") != NULL, "done: %s", l);
	spore_progress_line(l, sizeof(l), 100, 0, 1, D, SPORE_LAYER_FAILED, 3 * MiB, 0, 40 * MiB, 4.0);
	ok(!strcmp(l, "layer 1/1 46f1b2ecf435 failed at 3.0 MiB of 40.0 MiB"), "failed: %s", l);

	char a[512];
	spore_progress_line(l, sizeof(l), 100, 0, 9, D, SPORE_LAYER_FETCHING, 1, 0, 40 * MiB, 1.0);
	spore_progress_line(a, sizeof(a), 100, 8, 9, D, SPORE_LAYER_FETCHING, 39 * MiB, 0, 40 * MiB, 1.0);
	ok(strchr(l, ']') - l == strchr(a, ']') - a, "bars line up whatever the figures");

	spore_progress_line(l, sizeof(l), 40, 0, 1, D, SPORE_LAYER_FETCHING, MiB, 0, 40 * MiB, 1.0);
	ok(strlen(l) <= 39 && !strchr(l, '['), "a narrow terminal: no bar, cut to 39 columns: %s", l);
	spore_progress_line(l, sizeof(l), 0, 0, 1, D, SPORE_LAYER_DONE, MiB, 0, MiB, 1.0);
	ok(strstr(l, "done") != NULL, "no width known: the whole line");
	spore_progress_line(l, sizeof(l), 80, 0, 1, D, SPORE_LAYER_FETCHING, 0, 0, 0, 0);
	ok(strstr(l, "0 B / 0 B  0 B/s") != NULL, "an empty blob: no division by zero: %s", l);
	return tap_done();
}
