/* Progress of a pull's layer downloads on a terminal: one line per layer
 * (state, a bar, bytes, rate), redrawn in place at most ten times a second
 * from any fetching thread. When the layers do not fit the terminal's
 * height, one summary line instead. Off a terminal, image_pull prints one
 * line per step and this is not used. */
#ifndef SPORE_IMAGE_PROGRESS_H
#define SPORE_IMAGE_PROGRESS_H

#include "oci_manifest.h"

#include <stddef.h>
#include <stdint.h>

enum spore_layer_state {
	SPORE_LAYER_WAITING,
	SPORE_LAYER_FETCHING,
	SPORE_LAYER_CACHED,
	SPORE_LAYER_DONE,
	SPORE_LAYER_FAILED,
};

struct spore_progress;

/* A display for n layers, drawn on fd (a terminal); NULL without memory. */
struct spore_progress *spore_progress_new(int fd, const struct spore_descriptor *layers, size_t n);
/* Layer i changed state; for FETCHING, from is the byte it resumes at. */
void spore_progress_state(struct spore_progress *p, size_t i, enum spore_layer_state st,
			  uint64_t from);
/* Layer i has bytes of its blob so far. */
void spore_progress_bytes(struct spore_progress *p, size_t i, uint64_t bytes);
/* Draws the final state and frees p (NULL is fine). */
void spore_progress_end(struct spore_progress *p);

/* One layer's line, at most cols - 1 characters (no wrap): "layer I/N
 * <12 hex> [bar] GOT / TOTAL RATE" and the like. secs: time since the layer
 * started (or took, once done); got_from: the byte it resumed at. Exposed
 * for tests. Returns buf. */
char *spore_progress_line(char *buf, size_t len, unsigned cols, size_t i, size_t n,
			  const char *digest, enum spore_layer_state st, uint64_t got,
			  uint64_t got_from, uint64_t total, double secs);

/* "12.3 MiB", "512 B"... */
const char *spore_human_bytes(uint64_t n, char *buf, size_t len);

#endif
