/* The console ring's arithmetic (struct xencons_interface: out[2048] the
 * guest writes, in[1024] the backend writes, free-running 32-bit indexes).
 * The guest is untrusted and writes its producer index (out_prod) and our
 * consumer index of in (in_cons) whenever it likes: each is read once, and
 * a distance beyond the ring's size is refused instead of being followed
 * (no read or write out of bounds, no loop on a wrapped index). Pure. */
#ifndef SPORED_CONRING_H
#define SPORED_CONRING_H

#include <stddef.h>
#include <stdint.h>

/* Copies what lies between cons and prod in ring (size bytes, a power of
 * two) into out (cap bytes), oldest first, at most cap. Returns the bytes
 * copied, or -1 if prod - cons > size (a hostile or broken producer). */
long conring_take(const volatile char *ring, uint32_t size, uint32_t cons, uint32_t prod,
		  char *out, size_t cap);
/* Writes up to n bytes of buf at prod into ring, as much as there is room
 * for given the guest's cons. Returns the bytes written, or -1 if
 * prod - cons > size. */
long conring_put(volatile char *ring, uint32_t size, uint32_t cons, uint32_t prod, const char *buf,
		 size_t n);

#endif
