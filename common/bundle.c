/* Launch bundle encoder and decoder; see include/spore/bundle.h. Pure C:
 * compiled into libspore (glibc) and into sporeinit (musl). The decoder
 * allocates nothing; the encoder uses malloc. */
#include <spore/bundle.h>

#include <stdlib.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

uint32_t spore_crc32(uint32_t crc, const void *buf, size_t len)
{
	/* Nibble table: small enough to keep inline, fast enough for 4 MiB. */
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ tab[crc & 15];
		crc = (crc >> 4) ^ tab[crc & 15];
	}
	return ~crc;
}

void spore_bundle_init(struct spore_bundle *b)
{
	memset(b, 0, sizeof(*b));
	b->stop_timeout = SPORE_BUNDLE_DEF_STOP;
	b->stop_signal = SPORE_BUNDLE_DEF_STOP_SIGNAL;
}

bool spore_bundle_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SPORE_BUNDLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

bool spore_bundle_hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SPORE_BUNDLE_HOST_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool spore_bundle_path_ok(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *c = s; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return strlen(s) < 4096;
}

size_t spore_bundle_peek(const void *hdr, size_t len, const char **why)
{
	const uint8_t *h = hdr;
	uint32_t total;

	if (len < SPORE_BUNDLE_HDR_SIZE)
		return *why = "truncated header", 0;
	if (memcmp(h, SPORE_BUNDLE_MAGIC, 8) != 0)
		return *why = "bad magic", 0;
	if (get32(h + 8) != SPORE_BUNDLE_VERSION)
		return *why = "unsupported version", 0;
	total = get32(h + 12);
	if (total < SPORE_BUNDLE_HDR_SIZE || total > SPORE_BUNDLE_MAX_SIZE)
		return *why = "bad total length", 0;
	if (get32(h + 20) != 0)
		return *why = "reserved header field set", 0;
	return total;
}

/* A string value: NUL-terminated exactly at its end. */
static const char *str_of(const uint8_t *v, uint32_t len)
{
	if (len == 0 || v[len - 1] != '\0' || memchr(v, '\0', len - 1))
		return NULL;
	return (const char *)v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int decode_volume(struct spore_bundle_volume *vol, const uint8_t *v, uint32_t len,
			 const char **why)
{
	const char *s[3];
	uint32_t off = 1;

	if (len < 1 || (v[0] & ~(SPORE_VOLUME_RO | SPORE_VOLUME_FILE)))
		return *why = "bad volume flags", -1;
	for (int i = 0; i < 3; i++) {
		const uint8_t *nul = off < len ? memchr(v + off, '\0', len - off) : NULL;
		if (!nul)
			return *why = "truncated volume", -1;
		s[i] = (const char *)v + off;
		off = (uint32_t)(nul - v) + 1;
	}
	if (off != len)
		return *why = "trailing bytes in volume", -1;
	if (!spore_bundle_name_ok(s[0]) || !spore_bundle_name_ok(s[2]))
		return *why = "bad volume device or fs type", -1;
	if (!spore_bundle_path_ok(s[1]) || !strcmp(s[1], "/"))
		return *why = "bad volume target", -1;
	vol->device = s[0];
	vol->target = s[1];
	vol->fstype = s[2];
	vol->ro = v[0] & SPORE_VOLUME_RO;
	vol->file = v[0] & SPORE_VOLUME_FILE;
	return 0;
}

/* u64 size, u32 mode, u8 flags, target\0 */
static int decode_tmpfs(struct spore_bundle_tmpfs *t, const uint8_t *v, uint32_t len,
			const char **why)
{
	const char *target;

	if (len < 14 || !(target = str_of(v + 13, len - 13)))
		return *why = "truncated tmpfs", -1;
	if (get32(v + 8) > 07777 || (v[12] & ~SPORE_TMPFS_FLAGS))
		return *why = "bad tmpfs mode or flags", -1;
	if (!spore_bundle_path_ok(target) || !strcmp(target, "/"))
		return *why = "bad tmpfs target", -1;
	t->size = get64(v);
	t->mode = get32(v + 8);
	t->flags = v[12];
	t->target = target;
	return 0;
}

static int decode_record(struct spore_bundle *b, uint32_t tag, const uint8_t *v, uint32_t len,
			 const char **why)
{
	const char *s = NULL;

	switch (tag) {
	case SPORE_BT_ARG:
	case SPORE_BT_ENV:
	case SPORE_BT_USER:
	case SPORE_BT_WORKDIR:
	case SPORE_BT_HOSTNAME:
	case SPORE_BT_IMAGE_DEV:
	case SPORE_BT_UPPER_DEV:
		if (!(s = str_of(v, len)))
			return *why = "string not NUL-terminated or with an inner NUL", -1;
		break;
	}

	switch (tag) {
	case SPORE_BT_ARG:
		if (b->argc >= SPORE_BUNDLE_MAX_ARGS)
			return *why = "too many arguments", -1;
		b->argv[b->argc++] = s;
		return 0;
	case SPORE_BT_ENV: {
		const char *eq = strchr(s, '=');
		if (!eq || eq == s)
			return *why = "environment entry without NAME=", -1;
		if (b->envc >= SPORE_BUNDLE_MAX_ENV)
			return *why = "too many environment entries", -1;
		b->envp[b->envc++] = s;
		return 0;
	}
	case SPORE_BT_USER:
		if (b->user)
			return *why = "duplicate user", -1;
		for (const char *c = s; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return *why = "control character in user", -1;
		if (strlen(s) > 255)
			return *why = "user too long", -1;
		b->user = s;
		return 0;
	case SPORE_BT_WORKDIR:
		if (b->workdir)
			return *why = "duplicate working directory", -1;
		if (!spore_bundle_path_ok(s))
			return *why = "working directory not a clean absolute path", -1;
		b->workdir = s;
		return 0;
	case SPORE_BT_HOSTNAME:
		if (b->hostname)
			return *why = "duplicate hostname", -1;
		if (!spore_bundle_hostname_ok(s))
			return *why = "bad hostname", -1;
		b->hostname = s;
		return 0;
	case SPORE_BT_IMAGE_DEV:
		if (b->image_dev)
			return *why = "duplicate image device", -1;
		if (!spore_bundle_name_ok(s))
			return *why = "bad image device name", -1;
		b->image_dev = s;
		return 0;
	case SPORE_BT_UPPER_DEV:
		if (!spore_bundle_name_ok(s))
			return *why = "bad upper layer device name", -1;
		b->upper_dev = s;
		return 0;
	case SPORE_BT_TTY:
	case SPORE_BT_STDIN:
	case SPORE_BT_READ_ONLY:
	case SPORE_BT_START_GATE:
		if (len != 1 || v[0] > 1)
			return *why = "bad flag", -1;
		b->tty |= tag == SPORE_BT_TTY && v[0];
		b->stdin_open |= tag == SPORE_BT_STDIN && v[0];
		b->read_only |= tag == SPORE_BT_READ_ONLY && v[0];
		b->start_gate |= tag == SPORE_BT_START_GATE && v[0];
		return 0;
	case SPORE_BT_OVERLAY_SIZE:
		if (len != 8)
			return *why = "bad overlay size", -1;
		b->overlay_size = get64(v);
		return 0;
	case SPORE_BT_IPV4:
		if (len != 9 || v[4] > 32 || b->has_ipv4)
			return *why = "bad IPv4 config", -1;
		memcpy(b->ipv4.addr, v, 4);
		b->ipv4.prefix = v[4];
		memcpy(b->ipv4.gateway, v + 5, 4);
		b->has_ipv4 = true;
		return 0;
	case SPORE_BT_IPV6:
		if (len != 33 || v[16] > 128 || b->has_ipv6)
			return *why = "bad IPv6 config", -1;
		memcpy(b->ipv6.addr, v, 16);
		b->ipv6.prefix = v[16];
		memcpy(b->ipv6.gateway, v + 17, 16);
		b->has_ipv6 = true;
		return 0;
	case SPORE_BT_MTU:
		if (len != 4 || (get32(v) != 0 && (get32(v) < 68 || get32(v) > 65535)))
			return *why = "bad MTU", -1;
		b->mtu = get32(v);
		return 0;
	case SPORE_BT_DNS:
		if ((len != 4 && len != 16) || all_zero(v, len))
			return *why = "bad DNS server", -1;
		if (b->ndns >= SPORE_BUNDLE_MAX_DNS)
			return *why = "too many DNS servers", -1;
		b->dns[b->ndns].len = (uint8_t)len;
		memcpy(b->dns[b->ndns].addr, v, len);
		b->ndns++;
		return 0;
	case SPORE_BT_VOLUME:
		if (b->nvolumes >= SPORE_BUNDLE_MAX_VOLUMES)
			return *why = "too many volumes", -1;
		if (decode_volume(&b->volumes[b->nvolumes], v, len, why) < 0)
			return -1;
		b->nvolumes++;
		return 0;
	case SPORE_BT_TMPFS:
		if (b->ntmpfs >= SPORE_BUNDLE_MAX_TMPFS)
			return *why = "too many tmpfs mounts", -1;
		if (decode_tmpfs(&b->tmpfs[b->ntmpfs], v, len, why) < 0)
			return -1;
		b->ntmpfs++;
		return 0;
	case SPORE_BT_STOP_TIMEOUT:
		if (len != 4 || get32(v) > 86400)
			return *why = "bad stop timeout", -1;
		b->stop_timeout = get32(v);
		return 0;
	case SPORE_BT_STOP_SIGNAL:
		if (len != 4 || get32(v) < 1 || get32(v) > SPORE_BUNDLE_MAX_SIGNAL)
			return *why = "bad stop signal", -1;
		b->stop_signal = get32(v);
		return 0;
	default:
		return 0; /* unknown: optional field of a newer controller */
	}
}

int spore_bundle_decode(struct spore_bundle *b, const void *buf, size_t len, const char **why)
{
	const uint8_t *p = buf;
	size_t total, off;
	/* Scalars seen, to reject duplicates of those without a NULL sentinel. */
	uint32_t seen = 0;

	spore_bundle_init(b);
	if (!(total = spore_bundle_peek(buf, len, why)))
		return -1;
	if (total > len)
		return *why = "truncated bundle", -1;
	if (spore_crc32(0, p + SPORE_BUNDLE_HDR_SIZE, total - SPORE_BUNDLE_HDR_SIZE) != get32(p + 16))
		return *why = "checksum mismatch", -1;

	for (off = SPORE_BUNDLE_HDR_SIZE; off < total;) {
		if (total - off < 8)
			return *why = "truncated record header", -1;
		uint32_t tag = get32(p + off), rlen = get32(p + off + 4);
		off += 8;
		if (rlen > total - off)
			return *why = "record runs past the end", -1;
		if (tag < 32 && tag != SPORE_BT_ARG && tag != SPORE_BT_ENV && tag != SPORE_BT_DNS &&
		    tag != SPORE_BT_VOLUME && tag != SPORE_BT_TMPFS) {
			if (seen & (1u << tag))
				return *why = "duplicate field", -1;
			seen |= 1u << tag;
		}
		if (decode_record(b, tag, p + off, rlen, why) < 0)
			return -1;
		off += rlen;
	}
	if (b->argc == 0)
		return *why = "no command", -1;
	if (!b->image_dev)
		return *why = "no image device", -1;
	b->argv[b->argc] = NULL;
	b->envp[b->envc] = NULL;
	return 0;
}

/* Encoder: a growable buffer; the first failure sticks. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void wput(struct wbuf *w, uint32_t tag, const void *v, size_t len)
{
	if (w->failed)
		return;
	if (len > SPORE_BUNDLE_MAX_SIZE || w->len + 8 + len > SPORE_BUNDLE_MAX_SIZE) {
		w->failed = true;
		return;
	}
	if (w->len + 8 + len > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + 8 + len)
			cap *= 2;
		uint8_t *np = realloc(w->p, cap);
		if (!np) {
			w->failed = true;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	put32(w->p + w->len, tag);
	put32(w->p + w->len + 4, (uint32_t)len);
	if (v)
		memcpy(w->p + w->len + 8, v, len);
	else
		memset(w->p + w->len + 8, 0, len);
	w->len += 8 + len;
}

static void wstr(struct wbuf *w, uint32_t tag, const char *s)
{
	if (s)
		wput(w, tag, s, strlen(s) + 1);
}

static void wu32(struct wbuf *w, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	wput(w, tag, b, 4);
}

int spore_bundle_encode(const struct spore_bundle *b, uint8_t **out, size_t *outlen,
			const char **why)
{
	struct wbuf w = {0};
	struct spore_bundle *check;
	uint8_t tmp[64];

	*out = NULL;
	*outlen = 0;
	if (b->argc > SPORE_BUNDLE_MAX_ARGS || b->envc > SPORE_BUNDLE_MAX_ENV ||
	    b->ndns > SPORE_BUNDLE_MAX_DNS || b->nvolumes > SPORE_BUNDLE_MAX_VOLUMES ||
	    b->ntmpfs > SPORE_BUNDLE_MAX_TMPFS)
		return *why = "too many list entries", -1;

	wput(&w, 0, NULL, SPORE_BUNDLE_HDR_SIZE - 8); /* room for the header */
	wstr(&w, SPORE_BT_IMAGE_DEV, b->image_dev);
	for (unsigned i = 0; i < b->argc; i++)
		wstr(&w, SPORE_BT_ARG, b->argv[i] ? b->argv[i] : "");
	for (unsigned i = 0; i < b->envc; i++)
		wstr(&w, SPORE_BT_ENV, b->envp[i] ? b->envp[i] : "");
	wstr(&w, SPORE_BT_USER, b->user);
	wstr(&w, SPORE_BT_WORKDIR, b->workdir);
	wstr(&w, SPORE_BT_HOSTNAME, b->hostname);
	wstr(&w, SPORE_BT_UPPER_DEV, b->upper_dev);
	/* Only when set: an older sporeinit skips nothing it needs. */
	if (b->read_only) {
		tmp[0] = 1;
		wput(&w, SPORE_BT_READ_ONLY, tmp, 1);
	}
	if (b->start_gate) {
		tmp[0] = 1;
		wput(&w, SPORE_BT_START_GATE, tmp, 1);
	}
	tmp[0] = b->tty;
	wput(&w, SPORE_BT_TTY, tmp, 1);
	tmp[0] = b->stdin_open;
	wput(&w, SPORE_BT_STDIN, tmp, 1);
	put32(tmp, (uint32_t)b->overlay_size);
	put32(tmp + 4, (uint32_t)(b->overlay_size >> 32));
	wput(&w, SPORE_BT_OVERLAY_SIZE, tmp, 8);
	if (b->has_ipv4) {
		memcpy(tmp, b->ipv4.addr, 4);
		tmp[4] = b->ipv4.prefix;
		memcpy(tmp + 5, b->ipv4.gateway, 4);
		wput(&w, SPORE_BT_IPV4, tmp, 9);
	}
	if (b->has_ipv6) {
		memcpy(tmp, b->ipv6.addr, 16);
		tmp[16] = b->ipv6.prefix;
		memcpy(tmp + 17, b->ipv6.gateway, 16);
		wput(&w, SPORE_BT_IPV6, tmp, 33);
	}
	wu32(&w, SPORE_BT_MTU, b->mtu);
	for (unsigned i = 0; i < b->ndns; i++)
		wput(&w, SPORE_BT_DNS, b->dns[i].addr, b->dns[i].len == 16 ? 16 : 4);
	for (unsigned i = 0; i < b->nvolumes; i++) {
		const struct spore_bundle_volume *v = &b->volumes[i];
		size_t nd, nt, nf;
		uint8_t *rec;

		if (!v->device || !v->target || !v->fstype)
			return free(w.p), *why = "incomplete volume", -1;
		nd = strlen(v->device) + 1;
		nt = strlen(v->target) + 1;
		nf = strlen(v->fstype) + 1;
		if (nd + nt + nf > 8192)
			return free(w.p), *why = "volume fields too long", -1;
		if (!(rec = malloc(1 + nd + nt + nf)))
			return free(w.p), *why = "out of memory", -1;
		rec[0] = (v->ro ? SPORE_VOLUME_RO : 0) | (v->file ? SPORE_VOLUME_FILE : 0);
		memcpy(rec + 1, v->device, nd);
		memcpy(rec + 1 + nd, v->target, nt);
		memcpy(rec + 1 + nd + nt, v->fstype, nf);
		wput(&w, SPORE_BT_VOLUME, rec, 1 + nd + nt + nf);
		free(rec);
	}
	for (unsigned i = 0; i < b->ntmpfs; i++) {
		const struct spore_bundle_tmpfs *t = &b->tmpfs[i];
		size_t nt;
		uint8_t *rec;

		if (!t->target || (nt = strlen(t->target) + 1) > 4096)
			return free(w.p), *why = "bad tmpfs target", -1;
		if (!(rec = malloc(13 + nt)))
			return free(w.p), *why = "out of memory", -1;
		put32(rec, (uint32_t)t->size);
		put32(rec + 4, (uint32_t)(t->size >> 32));
		put32(rec + 8, t->mode);
		rec[12] = t->flags;
		memcpy(rec + 13, t->target, nt);
		wput(&w, SPORE_BT_TMPFS, rec, 13 + nt);
		free(rec);
	}
	wu32(&w, SPORE_BT_STOP_TIMEOUT, b->stop_timeout);
	/* Only when it is not the default: older sporeinits skip unknown tags
	 * anyway, but a bundle that needs none stays as it was. */
	if (b->stop_signal != SPORE_BUNDLE_DEF_STOP_SIGNAL)
		wu32(&w, SPORE_BT_STOP_SIGNAL, b->stop_signal);
	if (w.failed)
		return free(w.p), *why = "bundle too large or out of memory", -1;

	memcpy(w.p, SPORE_BUNDLE_MAGIC, 8);
	put32(w.p + 8, SPORE_BUNDLE_VERSION);
	put32(w.p + 12, (uint32_t)w.len);
	put32(w.p + 16, spore_crc32(0, w.p + SPORE_BUNDLE_HDR_SIZE, w.len - SPORE_BUNDLE_HDR_SIZE));
	put32(w.p + 20, 0);

	/* One set of rules: whatever the guest would reject fails here. */
	if (!(check = malloc(sizeof(*check))))
		return free(w.p), *why = "out of memory", -1;
	if (spore_bundle_decode(check, w.p, w.len, why) < 0) {
		free(check);
		free(w.p);
		return -1;
	}
	free(check);
	*out = w.p;
	*outlen = w.len;
	return 0;
}
