/* Checksum fixer: partial checksums (pseudo-header only, as left by
 * offloading guests) become full ones, verified by an independent sum over
 * an explicit pseudo-header. */
#include "net_csum.h"

#include <errno.h>

#include "net_pkt.h"
#include "tap.h"

static uint8_t b[70000], pseudo[70100];

/* Independent check: sum of an explicitly built pseudo-header + segment. */
static int verify(const uint8_t *frame, const struct net_frame *f)
{
	size_t n = 0;
	if (f->ip_version == 4) {
		memcpy(pseudo, &f->src4, 4);
		memcpy(pseudo + 4, &f->dst4, 4);
		pseudo[8] = 0;
		pseudo[9] = f->l4_proto;
		pkt_put16(pseudo + 10, (uint16_t)f->l4_len);
		n = 12;
	} else {
		memcpy(pseudo, &f->src6, 16);
		memcpy(pseudo + 16, &f->dst6, 16);
		memset(pseudo + 32, 0, 8);
		pkt_put16(pseudo + 34, (uint16_t)f->l4_len);
		pseudo[39] = f->l4_proto;
		n = 40;
	}
	memcpy(pseudo + n, frame + f->l4_off, f->l4_len);
	n += f->l4_len;
	if (n % 2)
		pseudo[n++] = 0;
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Puts the partial value a CHECKSUM_PARTIAL skb carries: the folded,
 * non-inverted pseudo-header sum. */
static void make_partial(uint8_t *frame, const struct net_frame *f)
{
	int field = f->l4_proto == IPPROTO_TCP ? 16 : 6;
	uint8_t *p = frame + f->l4_off + field;
	p[0] = p[1] = 0;
	uint32_t sum = 0;
	const uint8_t *s = f->ip_version == 4 ? (const uint8_t *)&f->src4 : f->src6.s6_addr;
	const uint8_t *d = f->ip_version == 4 ? (const uint8_t *)&f->dst4 : f->dst6.s6_addr;
	size_t alen = f->ip_version == 4 ? 4 : 16;
	for (size_t i = 0; i < alen; i += 2)
		sum += (uint32_t)(s[i] << 8 | s[i + 1]) + (uint32_t)(d[i] << 8 | d[i + 1]);
	sum += f->l4_proto + (uint32_t)f->l4_len;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt_put16(p, (uint16_t)sum);
}

static void check_case(const char *what, size_t n)
{
	struct net_frame f;
	is_int(net_frame_parse(b, n, &f), NET_PASS, "%s: parses", what);
	make_partial(b, &f);
	ok(!net_csum_valid(b, n, &f), "%s: partial checksum is not valid", what);
	is_int(net_csum_fix(b, n, &f), 0, "%s: fixed", what);
	ok(net_csum_valid(b, n, &f), "%s: valid after fix", what);
	ok(verify(b, &f), "%s: independent sum agrees", what);
	/* Corrupt one payload byte: no longer valid. */
	b[f.l4_off + f.l4_len - 1] ^= 0x40;
	ok(!net_csum_valid(b, n, &f), "%s: corrupted payload detected", what);
}

int main(void)
{
	struct net_frame f;
	size_t n;

	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 40000, 80, 100);
	check_case("IPv4 TCP", n);
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 40000, 80, 101);
	check_case("IPv4 TCP odd length", n);
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 40000, 53, 33);
	check_case("IPv4 UDP", n);
	n = pkt_ipv6(b, "fd53:706f:7265:f::a4b:f", "2001:db8::5", IPPROTO_TCP, 1, 443, 1400);
	check_case("IPv6 TCP", n);
	n = pkt_ipv6(b, "fd53:706f:7265:f::a4b:f", "2001:db8::5", IPPROTO_UDP, 1, 53, 7);
	check_case("IPv6 UDP", n);
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 40000, 80, 65000);
	check_case("IPv4 TCP 64 KB (GSO)", n);

	/* Trailing Ethernet padding is not part of the segment. */
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 7, 7, 1);
	memset(b + n, 0xee, 30);
	check_case("IPv4 UDP with padding", n + 30);

	n = pkt_ipv4(b, "10.75.0.15", "10.75.0.2", IPPROTO_ICMP, 0, 0, 8);
	net_frame_parse(b, n, &f);
	is_int(net_csum_fix(b, n, &f), -EINVAL, "ICMP is not fixed");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 1, 2, 10);
	net_frame_parse(b, n, &f);
	is_int(net_csum_fix(b, n - 1, &f), -EINVAL, "a descriptor larger than the buffer refused");
	f.l4_off = (size_t)-4;
	is_int(net_csum_fix(b, n, &f), -EINVAL, "an overflowing offset refused");
	memset(&f, 0, sizeof(f));
	is_int(net_csum_fix(b, n, &f), -EINVAL, "a non-IP descriptor refused");
	ok(!net_csum_valid(b, n, &f), "a non-IP descriptor is not valid");
	return tap_done();
}
