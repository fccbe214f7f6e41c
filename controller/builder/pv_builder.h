/* Building an x86_64 PV domain from a kernel file: the job libxl and
 * libxenguest do for `xl create`, as a pipeline of named steps over one
 * struct pv_build. Any failure after the domain exists destroys it and
 * removes what was written to xenstore. The domain is left paused:
 * pv_build_unpause() starts it once devices and the console are set up. */
#ifndef SPORE_PV_BUILDER_H
#define SPORE_PV_BUILDER_H

#include "domctl.h"
#include "kernel_image.h"
#include "pv_layout.h"
#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stdint.h>

/* Guest memory, in MiB: the bounds every verb checks. Below 32 MiB a
 * 64-bit Linux with spore's initrd does not boot; 1 TiB is Xen's. */
#define SPORE_MEMORY_MIN_MIB 32
#define SPORE_MEMORY_MAX_MIB (1ULL << 20)
/* The largest initrd the builder takes. */
#define PV_MAX_INITRD (1ULL << 30)

struct pv_build_config {
	const char *kernel;       /* path */
	const uint8_t *initrd;    /* the initrd's bytes (borrowed), or NULL */
	size_t initrd_len;
	const char *initrd_name;  /* the file shown in /vm/<uuid>/image/ramdisk, or NULL */
	const char *cmdline;      /* NULL for none; <= 1023 bytes */
	const char *name;         /* unique guest name */
	uint64_t memory_mib;
	uint32_t vcpus;
	uint16_t cpu_cap;         /* percent of one physical CPU; 0: no cap */
	const char *kernel_cache; /* decompressed-kernel cache dir, NULL for none */
	const uint8_t *uuid;      /* 16 bytes, or NULL for a random one */
};

struct pv_build {
	struct pv_build_config cfg;
	struct spore_xc *xc;      /* borrowed */
	struct spore_xs *xs;      /* borrowed */
	const char *step;         /* the step running or that failed */

	uint8_t uuid[16];
	char uuid_str[37];
	uint32_t domid;
	bool created, introduced;

	struct spore_kernel_image kimg;

	struct pv_memory mem;     /* derived once from cfg.memory_mib */
	uint64_t *p2m;            /* pfn -> mfn */
	struct pv_layout layout;
	uint32_t store_port, console_port;
	uint64_t shared_info_mfn;
};

/* Runs every step up to a paused, introduced domain. On failure, err says
 * which step failed and why, and nothing is left behind. */
int pv_build_run(struct pv_build *b, struct spore_xc *xc, struct spore_xs *xs,
		 const struct pv_build_config *cfg, struct spore_err *err);
int pv_build_unpause(struct pv_build *b, struct spore_err *err);
/* Destroys the domain and removes its xenstore nodes (used on failure and
 * by callers that fail later). Safe to call twice. */
void pv_build_abort(struct pv_build *b);
/* Frees memory held by b (the domain itself is not touched). */
void pv_build_free(struct pv_build *b);

#endif
