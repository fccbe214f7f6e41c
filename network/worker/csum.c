/* TCP/UDP checksum computation for guest frames; see net_csum.h. */
#include "net_csum.h"

#include <errno.h>

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Offset of the checksum field inside the L4 header, or -1. */
static int csum_field(const struct net_frame *f)
{
	if (f->l4_proto == IPPROTO_TCP && f->l4_len >= 20)
		return 16;
	if (f->l4_proto == IPPROTO_UDP && f->l4_len >= 8)
		return 6;
	return -1;
}

static int check_frame(size_t len, const struct net_frame *f)
{
	if ((f->ip_version != 4 && f->ip_version != 6) || csum_field(f) < 0)
		return -EINVAL;
	if (f->l4_off > len || f->l4_len > len - f->l4_off)
		return -EINVAL;
	return 0;
}

/* One's-complement sum of pseudo-header and segment with the checksum
 * field taken as zero. */
static uint32_t raw_sum(const uint8_t *buf, const struct net_frame *f)
{
	const uint8_t *l4 = buf + f->l4_off;
	int field = csum_field(f);
	uint32_t sum = 0;

	if (f->ip_version == 4) {
		sum = sum_bytes(sum, (const uint8_t *)&f->src4, 4);
		sum = sum_bytes(sum, (const uint8_t *)&f->dst4, 4);
	} else {
		sum = sum_bytes(sum, f->src6.s6_addr, 16);
		sum = sum_bytes(sum, f->dst6.s6_addr, 16);
		sum += (uint32_t)(f->l4_len >> 16);
	}
	sum += f->l4_proto;
	sum += (uint32_t)(f->l4_len & 0xffff);
	sum = sum_bytes(sum, l4, (size_t)field);
	/* field is even, so the remaining bytes keep their 16-bit alignment. */
	sum = sum_bytes(sum, l4 + field + 2, f->l4_len - (size_t)field - 2);
	return sum;
}

int net_csum_l4(const uint8_t *buf, size_t len, const struct net_frame *f)
{
	int r = check_frame(len, f);
	if (r < 0)
		return r;
	uint16_t c = (uint16_t)~fold(raw_sum(buf, f));
	/* In UDP a computed 0 is sent as 0xffff (0 means "no checksum"). */
	if (c == 0 && f->l4_proto == IPPROTO_UDP)
		c = 0xffff;
	return c;
}

int net_csum_fix(uint8_t *buf, size_t len, const struct net_frame *f)
{
	int c = net_csum_l4(buf, len, f);
	if (c < 0)
		return c;
	uint8_t *p = buf + f->l4_off + csum_field(f);
	p[0] = (uint8_t)(c >> 8);
	p[1] = (uint8_t)c;
	return 0;
}

bool net_csum_valid(const uint8_t *buf, size_t len, const struct net_frame *f)
{
	if (check_frame(len, f) < 0)
		return false;
	const uint8_t *p = buf + f->l4_off + csum_field(f);
	uint16_t stored = (uint16_t)(p[0] << 8 | p[1]);
	if (stored == 0 && f->l4_proto == IPPROTO_UDP && f->ip_version == 4)
		return true;
	return fold(raw_sum(buf, f) + stored) == 0xffff;
}
