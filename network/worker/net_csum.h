/* TCP/UDP checksums of guest frames.
 *
 * A guest using checksum offload (netfront, veth) leaves only the pseudo-
 * header sum in the L4 checksum field; AF_PACKET reports such frames with
 * TP_STATUS_CSUMNOTREADY, and libslirp would drop them. net_csum_fix()
 * writes the full checksum. */
#ifndef SPORE_NET_CSUM_H
#define SPORE_NET_CSUM_H

#include "net_frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Computes the Internet checksum of the TCP or UDP segment described by f
 * (a successful net_frame_parse() of buf/len), pseudo-header included, as
 * it must be stored in the header. Returns -EINVAL if f is not TCP/UDP over
 * IP or does not fit in len. */
int net_csum_l4(const uint8_t *buf, size_t len, const struct net_frame *f);
/* Stores net_csum_l4() in the segment's checksum field. Returns 0 or
 * -EINVAL. */
int net_csum_fix(uint8_t *buf, size_t len, const struct net_frame *f);
/* True if the segment's checksum verifies (UDP over IPv4 with checksum 0,
 * meaning none, counts as valid). */
bool net_csum_valid(const uint8_t *buf, size_t len, const struct net_frame *f);

#endif
