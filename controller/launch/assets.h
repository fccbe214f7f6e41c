/* Where the files a guest boots from are: the guest kernel and sporeinit's
 * initrd that spore ships, and the cache of decompressed kernels. */
#ifndef SPORE_ASSETS_H
#define SPORE_ASSETS_H

#include <stddef.h>

/* The guest kernel: $SPORE_KERNEL, else the one built in this tree
 * (<repo>/.cache/kernel) or installed (../share/spore). -ENOENT if none. */
int spore_asset_kernel(char *out, size_t n);
/* sporeinit's initrd: $SPORE_INITRD, else the one built beside sporectl
 * (build/container) or installed (../libexec/spore). -ENOENT if none. */
int spore_asset_initrd(char *out, size_t n);

/* Where decompressed kernels are cached: $SPORE_ROOT/kernels, by default
 * /var/lib/spore/kernels. */
const char *spore_kernel_cache_dir(void);

#endif
