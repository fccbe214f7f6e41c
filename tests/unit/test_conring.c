/* The console ring's arithmetic (service/console/conring.c): wrapping
 * indexes, and hostile producer indexes refused without reading or
 * writing out of bounds. */
#include "tap.h"
#include "conring.h"

#include <stdint.h>
#include <string.h>

int main(void)
{
	/* Guard bytes around the ring: any write outside shows up there. */
	struct {
		char before[64];
		char ring[16];
		char after[64];
	} m;
	char out[64];

	memset(&m, 'G', sizeof(m));
	memcpy(m.ring, "0123456789abcdef", 16);
	is_int(conring_take(m.ring, 16, 0, 5, out, sizeof(out)), 5, "take 5 from the start");
	ok(!memcmp(out, "01234", 5), "... the bytes, in order");
	is_int(conring_take(m.ring, 16, 14, 18, out, sizeof(out)), 4, "take across the end");
	ok(!memcmp(out, "ef01", 4), "... wrapped to the start");
	is_int(conring_take(m.ring, 16, UINT32_MAX - 1, 2, out, sizeof(out)), 4,
	       "take across the 32-bit wrap of the indexes");
	ok(!memcmp(out, "ef01", 4), "... the right bytes");
	is_int(conring_take(m.ring, 16, 3, 3, out, sizeof(out)), 0, "empty ring: nothing");
	is_int(conring_take(m.ring, 16, 0, 16, out, 10), 10, "at most cap bytes");
	is_int(conring_take(m.ring, 16, 0, 16, out, sizeof(out)), 16, "a full ring");
	is_int(conring_take(m.ring, 16, 0, 17, out, sizeof(out)), -1,
	       "a producer one beyond the size is refused");
	is_int(conring_take(m.ring, 16, 10, 9, out, sizeof(out)), -1,
	       "a producer behind the consumer is refused");
	is_int(conring_take(m.ring, 16, 0, UINT32_MAX, out, sizeof(out)), -1,
	       "a producer at UINT32_MAX is refused");

	memset(m.ring, '.', 16);
	is_int(conring_put(m.ring, 16, 0, 0, "hello", 5), 5, "put 5 into an empty ring");
	is_int(conring_put(m.ring, 16, 0, 5, "0123456789abcdef", 16), 11,
	       "put only what there is room for");
	is_int(conring_put(m.ring, 16, 0, 16, "x", 1), 0, "a full ring takes nothing");
	is_int(conring_put(m.ring, 16, 20, 3, "x", 1), -1, "a consumer ahead of the producer is refused");
	is_int(conring_put(m.ring, 16, 0, 40, "x", 1), -1, "a producer beyond the size is refused");
	is_int(conring_put(m.ring, 16, 14, 14, "ABCD", 4), 4, "put across the end");
	ok(m.ring[14] == 'A' && m.ring[15] == 'B' && m.ring[0] == 'C' && m.ring[1] == 'D',
	   "... wrapped to the start");
	int clean = 1;
	for (size_t i = 0; i < sizeof(m.before); i++)
		clean &= m.before[i] == 'G' && m.after[i] == 'G';
	ok(clean, "nothing written outside the ring");
	return tap_done();
}
