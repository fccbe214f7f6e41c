/* Console ring arithmetic; see conring.h. */
#include "conring.h"

long conring_take(const volatile char *ring, uint32_t size, uint32_t cons, uint32_t prod,
		  char *out, size_t cap)
{
	uint32_t avail = prod - cons; /* wraps as the indexes do */
	if (avail > size)
		return -1;
	if (avail > cap)
		avail = (uint32_t)cap;
	for (uint32_t i = 0; i < avail; i++)
		out[i] = ring[(cons + i) & (size - 1)];
	return (long)avail;
}

long conring_put(volatile char *ring, uint32_t size, uint32_t cons, uint32_t prod, const char *buf,
		 size_t n)
{
	uint32_t used = prod - cons;
	if (used > size)
		return -1;
	uint32_t room = size - used;
	if (room > n)
		room = (uint32_t)n;
	for (uint32_t i = 0; i < room; i++)
		ring[(prod + i) & (size - 1)] = buf[i];
	return (long)room;
}
