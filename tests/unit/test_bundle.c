/* Launch bundle: round trips, hostile bytes, truncation and corruption. Each
 * decode runs on an exactly-sized heap copy so that ASan catches any read
 * past the end. */
#include <spore/bundle.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static struct spore_bundle in, out;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &(uint8_t[4]){v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24}, 4);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Rewrites the header's length and CRC so that the body is what is tested. */
static void reseal(uint8_t *p, size_t len)
{
	put32(p + 12, (uint32_t)len);
	put32(p + 16, spore_crc32(0, p + SPORE_BUNDLE_HDR_SIZE, len - SPORE_BUNDLE_HDR_SIZE));
}

/* The copy lives until the next call: `out` points into it. */
static int decode_copy(const uint8_t *p, size_t len, const char **why)
{
	static uint8_t *c;

	free(c);
	c = malloc(len ? len : 1);
	memcpy(c, p, len);
	return spore_bundle_decode(&out, c, len, why);
}

static void full_bundle(void)
{
	static const uint8_t ip4[4] = {10, 0, 0, 2}, gw4[4] = {10, 0, 0, 1};
	static const uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t gw6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	spore_bundle_init(&in);
	in.argv[in.argc++] = "/bin/sh";
	in.argv[in.argc++] = "-c";
	in.argv[in.argc++] = "echo hello; exit 3";
	in.argv[in.argc++] = "";
	in.envp[in.envc++] = "PATH=/usr/bin:/bin";
	in.envp[in.envc++] = "WEIRD=a\nb=c\"d'e\xff\x01 ";
	in.envp[in.envc++] = "EMPTY=";
	in.user = "app:staff";
	in.workdir = "/srv/app";
	in.hostname = "web-1.example";
	in.image_dev = "xvda";
	in.tty = true;
	in.stdin_open = true;
	in.overlay_size = 5ULL << 32;
	in.has_ipv4 = true;
	memcpy(in.ipv4.addr, ip4, 4);
	in.ipv4.prefix = 24;
	memcpy(in.ipv4.gateway, gw4, 4);
	in.has_ipv6 = true;
	memcpy(in.ipv6.addr, ip6, 16);
	in.ipv6.prefix = 64;
	memcpy(in.ipv6.gateway, gw6, 16);
	in.mtu = 1400;
	in.dns[0].len = 4;
	memcpy(in.dns[0].addr, gw4, 4);
	in.dns[1].len = 16;
	memcpy(in.dns[1].addr, gw6, 16);
	in.ndns = 2;
	in.volumes[0] = (struct spore_bundle_volume){"xvdc", "/data", "ext4", false, false};
	in.volumes[1] = (struct spore_bundle_volume){"xvdd", "/etc/conf", "squashfs", true, false};
	in.volumes[2] = (struct spore_bundle_volume){"xvde", "/etc/app.conf", "squashfs", true, true};
	in.nvolumes = 3;
	in.tmpfs[0] = (struct spore_bundle_tmpfs){"/tmp", 64ull << 20, 01777,
						  SPORE_TMPFS_NOEXEC | SPORE_TMPFS_NOSUID | SPORE_TMPFS_NODEV};
	in.tmpfs[1] = (struct spore_bundle_tmpfs){"/run/big", 5ull << 32, 0700, SPORE_TMPFS_RO};
	in.ntmpfs = 2;
	in.read_only = true;
	in.start_gate = true;
	in.upper_dev = "xvdf";
	in.stop_timeout = 3;
	in.stop_signal = 10;
}

/* Equal strings, or both unset. */
static bool streq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static int same(void)
{
	if (in.argc != out.argc || in.envc != out.envc || out.argv[out.argc] || out.envp[out.envc])
		return 0;
	for (unsigned i = 0; i < in.argc; i++)
		if (strcmp(in.argv[i], out.argv[i]))
			return 0;
	for (unsigned i = 0; i < in.envc; i++)
		if (strcmp(in.envp[i], out.envp[i]))
			return 0;
	if (!streq(in.user, out.user) || !streq(in.workdir, out.workdir) ||
	    !streq(in.hostname, out.hostname) || !streq(in.image_dev, out.image_dev))
		return 0;
	if (in.tty != out.tty || in.stdin_open != out.stdin_open ||
	    in.overlay_size != out.overlay_size || in.mtu != out.mtu ||
	    in.stop_timeout != out.stop_timeout || in.stop_signal != out.stop_signal || in.has_ipv4 != out.has_ipv4 ||
	    in.has_ipv6 != out.has_ipv6 || memcmp(&in.ipv4, &out.ipv4, sizeof(in.ipv4)) ||
	    memcmp(&in.ipv6, &out.ipv6, sizeof(in.ipv6)) || in.ndns != out.ndns ||
	    in.nvolumes != out.nvolumes || in.ntmpfs != out.ntmpfs ||
	    in.read_only != out.read_only || in.start_gate != out.start_gate ||
	    !streq(in.upper_dev, out.upper_dev))
		return 0;
	for (unsigned i = 0; i < in.ntmpfs; i++)
		if (strcmp(in.tmpfs[i].target, out.tmpfs[i].target) ||
		    in.tmpfs[i].size != out.tmpfs[i].size || in.tmpfs[i].mode != out.tmpfs[i].mode ||
		    in.tmpfs[i].flags != out.tmpfs[i].flags)
			return 0;
	for (unsigned i = 0; i < in.ndns; i++)
		if (in.dns[i].len != out.dns[i].len ||
		    memcmp(in.dns[i].addr, out.dns[i].addr, in.dns[i].len))
			return 0;
	for (unsigned i = 0; i < in.nvolumes; i++)
		if (strcmp(in.volumes[i].device, out.volumes[i].device) ||
		    strcmp(in.volumes[i].target, out.volumes[i].target) ||
		    strcmp(in.volumes[i].fstype, out.volumes[i].fstype) ||
		    in.volumes[i].ro != out.volumes[i].ro || in.volumes[i].file != out.volumes[i].file)
			return 0;
	return 1;
}

/* Encodes `in` expecting failure; returns whether it failed. */
static int encode_fails(const char *what)
{
	uint8_t *buf;
	size_t len;
	const char *why = NULL;
	int r = spore_bundle_encode(&in, &buf, &len, &why);

	if (r == 0)
		free(buf);
	else
		printf("# %s: %s\n", what, why);
	return r < 0 && buf == NULL && why != NULL;
}

static void test_validation(void)
{
	full_bundle();
	in.envp[0] = "NOEQUALS";
	ok(encode_fails("env"), "env entry without '=' rejected");
	full_bundle();
	in.envp[0] = "=value";
	ok(encode_fails("env"), "env entry with an empty name rejected");
	full_bundle();
	in.workdir = "srv";
	ok(encode_fails("workdir"), "relative workdir rejected");
	full_bundle();
	in.workdir = "/srv/../etc";
	ok(encode_fails("workdir"), "workdir with .. rejected");
	full_bundle();
	in.hostname = "a b";
	ok(encode_fails("hostname"), "hostname with a space rejected");
	full_bundle();
	in.image_dev = "../sda";
	ok(encode_fails("dev"), "image device with a slash rejected");
	full_bundle();
	in.image_dev = NULL;
	ok(encode_fails("dev"), "missing image device rejected");
	full_bundle();
	in.argc = 0;
	ok(encode_fails("argv"), "empty argv rejected");
	full_bundle();
	in.volumes[0].target = "/";
	ok(encode_fails("volume"), "volume on / rejected");
	full_bundle();
	in.volumes[0].target = "/a/./b";
	ok(encode_fails("volume"), "volume target with . rejected");
	full_bundle();
	in.user = "a\nb";
	ok(encode_fails("user"), "user with a newline rejected");
	full_bundle();
	in.mtu = 20;
	ok(encode_fails("mtu"), "MTU below 68 rejected");
	full_bundle();
	in.ipv4.prefix = 33;
	ok(encode_fails("ipv4"), "IPv4 prefix 33 rejected");
	full_bundle();
	in.argc = SPORE_BUNDLE_MAX_ARGS + 1;
	ok(encode_fails("argc"), "too many arguments rejected");
	full_bundle();
	in.tmpfs[0].target = "/";
	ok(encode_fails("tmpfs"), "tmpfs on / rejected");
	full_bundle();
	in.tmpfs[0].target = "tmp";
	ok(encode_fails("tmpfs"), "relative tmpfs target rejected");
	full_bundle();
	in.tmpfs[1].target = "/run/../etc";
	ok(encode_fails("tmpfs"), "tmpfs target with .. rejected");
	full_bundle();
	in.tmpfs[0].mode = 010000;
	ok(encode_fails("tmpfs"), "tmpfs mode above 07777 rejected");
	full_bundle();
	in.tmpfs[0].flags = 0x10;
	ok(encode_fails("tmpfs"), "tmpfs with unknown flags rejected");
	full_bundle();
	in.upper_dev = "xvd/f";
	ok(encode_fails("upper"), "upper layer device with a slash rejected");
	full_bundle();
	in.stop_signal = 0;
	ok(encode_fails("stop signal"), "stop signal 0 rejected");
	full_bundle();
	in.stop_signal = 65;
	ok(encode_fails("stop signal"), "stop signal 65 rejected");
}

/* Appends a raw record (tag, len, bytes) to a valid bundle and reseals. */
static int decode_with_extra(const uint8_t *base, size_t blen, uint32_t tag, const void *v,
			     uint32_t vlen, const char **why)
{
	uint8_t *p = malloc(blen + 8 + vlen);
	int r;

	memcpy(p, base, blen);
	put32(p + blen, tag);
	put32(p + blen + 4, vlen);
	memcpy(p + blen + 8, v, vlen);
	reseal(p, blen + 8 + vlen);
	r = decode_copy(p, blen + 8 + vlen, why);
	free(p);
	return r;
}

static void test_records(const uint8_t *buf, size_t len)
{
	const char *why = NULL;

	ok(decode_with_extra(buf, len, 999, "xyz", 3, &why) == 0, "unknown tag skipped");
	ok(decode_with_extra(buf, len, SPORE_BT_USER, "root", 5, &why) < 0, "duplicate user rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_TTY, "\1", 1, &why) < 0, "duplicate tty rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_ARG, "abc", 3, &why) < 0,
	   "string without NUL rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_ARG, "a\0c", 4, &why) < 0,
	   "string with an inner NUL rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_ARG, "", 0, &why) < 0, "zero-length string rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_VOLUME, "\0xvdz\0/m\0ext4", 13, &why) < 0,
	   "volume without the last NUL rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_VOLUME, "\0xvdz\0/m\0ext4\0x", 16, &why) < 0,
	   "volume with trailing bytes rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_VOLUME, "\4xvdz\0/m\0ext4\0", 14, &why) < 0,
	   "volume with unknown flags rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_VOLUME, "\1xvdz\0/m\0ext4\0", 14, &why) == 0 &&
		   out.nvolumes == 4 && out.volumes[3].ro && !out.volumes[3].file,
	   "well-formed extra volume accepted");
	ok(decode_with_extra(buf, len, SPORE_BT_READ_ONLY, "\1", 1, &why) < 0,
	   "duplicate read-only flag rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_UPPER_DEV, "xvdg", 5, &why) < 0,
	   "duplicate upper layer device rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_TMPFS, "\0\0\0\0\0\0\0\0\xff\x0f\0\0\0/t", 15,
			     &why) < 0,
	   "tmpfs without its target's NUL rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_TMPFS, "\0\0\0\0\0\0\0\0\xff\x0f\0\0\0", 13,
			     &why) < 0,
	   "tmpfs without a target rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_TMPFS,
			     "\0\0\x10\0\0\0\0\0\xed\x01\0\0\x04/t\0", 16, &why) == 0 &&
		   out.ntmpfs == 3 && !strcmp(out.tmpfs[2].target, "/t") &&
		   out.tmpfs[2].size == 1u << 20 && out.tmpfs[2].mode == 0755 &&
		   out.tmpfs[2].flags == SPORE_TMPFS_NOSUID,
	   "well-formed extra tmpfs accepted");
	ok(decode_with_extra(buf, len, SPORE_BT_DNS, "\0\0\0\0", 4, &why) < 0,
	   "DNS server 0.0.0.0 rejected");
	ok(decode_with_extra(buf, len, SPORE_BT_DNS, "\1\2\3", 3, &why) < 0,
	   "DNS server of 3 bytes rejected");
}

static void test_header(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len);
	const char *why;

	memcpy(p, buf, len);
	p[0] ^= 1;
	ok(decode_copy(p, len, &why) < 0 && !strcmp(why, "bad magic"), "bad magic rejected");
	memcpy(p, buf, len);
	put32(p + 8, 2);
	ok(decode_copy(p, len, &why) < 0, "version 2 rejected");
	memcpy(p, buf, len);
	p[len - 1] ^= 0x40;
	ok(decode_copy(p, len, &why) < 0 && !strcmp(why, "checksum mismatch"),
	   "flipped body byte caught by the CRC");
	memcpy(p, buf, len);
	put32(p + 20, 1);
	ok(decode_copy(p, len, &why) < 0, "reserved field rejected");
	memcpy(p, buf, len);
	put32(p + 12, SPORE_BUNDLE_MAX_SIZE + 1);
	ok(decode_copy(p, len, &why) < 0, "total length over the maximum rejected");
	memcpy(p, buf, len);
	put32(p + 12, 3);
	ok(decode_copy(p, len, &why) < 0, "total length below the header rejected");
	ok(spore_bundle_peek(buf, len, &why) == len, "peek gives the total length");
	ok(spore_bundle_peek(buf, 10, &why) == 0, "peek of a short header fails");
	free(p);
}

static void test_truncation(const uint8_t *buf, size_t len)
{
	int bad = 0, sealed_bad = 0;
	uint8_t *p = malloc(len);
	const char *why;

	for (size_t n = 0; n < len; n++)
		if (decode_copy(buf, n, &why) == 0)
			bad++;
	ok(bad == 0, "every truncation of a %zu-byte bundle rejected", len);

	/* Cut and reseal: a cut inside a record must fail; one on a record
	 * boundary is a shorter valid bundle only if it still has argv and the
	 * image device. Either way nothing reads past the cut. */
	for (size_t n = SPORE_BUNDLE_HDR_SIZE; n < len; n++) {
		memcpy(p, buf, n);
		reseal(p, n);
		if (decode_copy(p, n, &why) == 0 && (out.argc == 0 || !out.image_dev))
			sealed_bad++;
	}
	ok(sealed_bad == 0, "every resealed truncation rejected or consistent");
	free(p);
}

static void test_lengths(const uint8_t *buf, size_t len)
{
	static const uint32_t deltas[] = {1, 2, 7, 8, 0x100, 0x7fffffff, 0x80000000u, 0xffffffffu};
	uint8_t *p = malloc(len);
	int accepted_past_end = 0, tried = 0;
	const char *why;

	for (size_t off = SPORE_BUNDLE_HDR_SIZE; off + 8 <= len;) {
		uint32_t rlen = get32(buf + off + 4);
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
			for (int sign = 0; sign < 2; sign++) {
				memcpy(p, buf, len);
				put32(p + off + 4, sign ? rlen - deltas[d] : rlen + deltas[d]);
				reseal(p, len);
				tried++;
				if (decode_copy(p, len, &why) == 0 && sign == 0 &&
				    off + 8 + rlen + deltas[d] > len)
					accepted_past_end++;
			}
		}
		off += 8 + rlen;
	}
	ok(tried > 100 && accepted_past_end == 0, "%d corrupted record lengths handled", tried);
	free(p);
}

/* What a decoded bundle must satisfy, checked with the validators sporectl
 * uses (not the decoder's own code path). */
static bool follows_rules(const struct spore_bundle *b)
{
	bool good = b->argc > 0 && b->image_dev && spore_bundle_name_ok(b->image_dev) &&
		    (!b->hostname || spore_bundle_hostname_ok(b->hostname)) &&
		    (!b->workdir || spore_bundle_path_ok(b->workdir));
	for (unsigned i = 0; i < b->envc; i++)
		good &= b->envp[i][0] != '=' && strchr(b->envp[i], '=') != NULL;
	for (const char *c = b->user; c && *c; c++)
		good &= (unsigned char)*c >= 0x20;
	for (unsigned i = 0; i < b->nvolumes; i++)
		good &= spore_bundle_name_ok(b->volumes[i].device) &&
			spore_bundle_path_ok(b->volumes[i].target) &&
			spore_bundle_name_ok(b->volumes[i].fstype);
	return good;
}

/* Whatever the corruption, the decoder either refuses it with a reason or
 * returns a bundle that follows the rules and survives a round trip. */
static void test_random(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len), *re;
	uint32_t x = 12345;
	int accepted = 0, no_reason = 0, broken = 0, changed = 0;
	size_t relen;
	const char *why, *why2;

	for (int i = 0; i < 20000; i++) {
		memcpy(p, buf, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			x = x * 1103515245u + 12345u;
			size_t at = SPORE_BUNDLE_HDR_SIZE + (x >> 8) % (len - SPORE_BUNDLE_HDR_SIZE);
			p[at] = (uint8_t)(x >> 3);
		}
		reseal(p, len);
		why = NULL;
		if (decode_copy(p, len, &why) < 0) {
			no_reason += !why || !*why;
			continue;
		}
		accepted++;
		broken += !follows_rules(&out);
		/* Encoded again and decoded, the same bundle (`same` compares
		 * `in` with `out`; `in` points into decode_copy's copy). */
		in = out;
		if (spore_bundle_encode(&in, &re, &relen, &why2) < 0) {
			changed++;
			continue;
		}
		changed += spore_bundle_decode(&out, re, relen, &why2) < 0 || !same();
		free(re);
	}
	ok(no_reason == 0 && broken == 0 && changed == 0 && accepted < 20000,
	   "20000 random corruptions: %d still valid (%d breaking the rules, %d changed by a "
	   "round trip), the rest refused with a reason (%d without)",
	   accepted, broken, changed, no_reason);
	free(p);
}

static void test_big(void)
{
	size_t big = 1u << 20;
	char *val = malloc(big + 8);
	uint8_t *buf;
	size_t len;
	const char *why = "";
	static char argbuf[SPORE_BUNDLE_MAX_ARGS][8];

	memcpy(val, "BIG=", 4);
	for (size_t i = 4; i < big + 4; i++)
		val[i] = (char)(1 + i % 255); /* every byte value except NUL */
	val[big + 4] = '\0';
	full_bundle();
	in.envp[in.envc++] = val;
	for (unsigned i = in.argc; i < SPORE_BUNDLE_MAX_ARGS; i++) {
		snprintf(argbuf[i], sizeof(argbuf[i]), "a%u", i);
		in.argv[in.argc++] = argbuf[i];
	}
	ok(spore_bundle_encode(&in, &buf, &len, &why) == 0 && len > big, "1 MiB bundle encoded (%s)",
	   why);
	ok(decode_copy(buf, len, &why) == 0 && same(), "1 MiB bundle with %u args round-trips",
	   in.argc);
	free(buf);

	in.envp[in.envc - 1] = NULL;
	in.envc--;
	char *huge = malloc(SPORE_BUNDLE_MAX_SIZE + 8);
	memset(huge, 'x', SPORE_BUNDLE_MAX_SIZE + 7);
	memcpy(huge, "HUGE=", 5);
	huge[SPORE_BUNDLE_MAX_SIZE + 7] = '\0';
	in.envp[in.envc++] = huge;
	ok(encode_fails("huge"), "bundle over the maximum size rejected by the encoder");
	free(huge);
	free(val);
}

int main(void)
{
	uint8_t *buf;
	size_t len;
	const char *why = "";

	is_int(spore_crc32(0, "123456789", 9), 0xcbf43926u, "CRC-32 check value");
	is_int(spore_crc32(spore_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u,
	       "CRC-32 is incremental");

	full_bundle();
	ok(spore_bundle_encode(&in, &buf, &len, &why) == 0, "full bundle encodes (%s)", why);
	ok(decode_copy(buf, len, &why) == 0, "full bundle decodes (%s)", why);
	ok(same(), "round trip keeps every field");
	is_str(out.envp[1], "WEIRD=a\nb=c\"d'e\xff\x01 ", "newline, '=', quotes, 0xff kept in env");
	is_str(out.argv[3], "", "empty argument kept");

	uint8_t *padded = calloc(1, len + 4096);
	memcpy(padded, buf, len);
	ok(spore_bundle_decode(&out, padded, len + 4096, &why) == 0 && same(),
	   "trailing device padding ignored");
	free(padded);

	test_header(buf, len);
	test_records(buf, len);
	test_truncation(buf, len);
	test_lengths(buf, len);
	test_random(buf, len);
	free(buf);

	spore_bundle_init(&in);
	in.argv[in.argc++] = "true";
	in.image_dev = "xvda";
	ok(spore_bundle_encode(&in, &buf, &len, &why) == 0, "minimal bundle encodes");
	ok(decode_copy(buf, len, &why) == 0 && out.stop_timeout == SPORE_BUNDLE_DEF_STOP &&
		   out.stop_signal == SPORE_BUNDLE_DEF_STOP_SIGNAL &&
		   !out.user && !out.workdir && !out.has_ipv4 && out.argv[1] == NULL &&
		   !out.read_only && !out.start_gate && !out.upper_dev && out.ntmpfs == 0,
	   "minimal bundle keeps defaults");
	free(buf);

	test_validation();
	test_big();
	return tap_done();
}
