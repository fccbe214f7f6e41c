/* Guest UUIDs; see uuid.h. */
#include "uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void spore_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

int spore_uuid_generate(uint8_t u[16], struct spore_err *err)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "open /dev/urandom");
	ssize_t n = read(fd, u, 16);
	close(fd);
	if (n != 16)
		return spore_err_setx(err, EIO, "short read from /dev/urandom");
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	return 0;
}

int spore_uuid_parse(const char *s, uint8_t u[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	for (size_t i = 0; i < 36; i++) {
		const char *d;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!s[i] || !(d = strchr(hex, s[i])))
			return -EINVAL;
		if (k % 2 == 0)
			u[k / 2] = (uint8_t)((d - hex) << 4);
		else
			u[k / 2] |= (uint8_t)(d - hex);
		k++;
	}
	return s[36] ? -EINVAL : 0;
}
