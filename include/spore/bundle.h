/* Launch bundle: the configuration dom0 hands to a guest's sporeinit.
 *
 * Where the guest finds it: `sporectl launch` appends it to sporeinit's
 * initrd as the file /SPORE_BUNDLE_INITRD_FILE (one more cpio archive), so
 * it needs no device; the image's root filesystem (squashfs) is the
 * read-only block device xvda. Without that file (another toolstack, the
 * e2e tests driving xl) sporeinit reads the bundle from the raw read-only
 * device xvdb: its first bytes are an encoded bundle, the rest is padding
 * (a loop device's size is rounded down to 512 bytes, so the file is padded
 * to SPORE_BUNDLE_ALIGN). The image device's name is a field of the
 * bundle.
 *
 * Wire format (all integers little-endian, no alignment):
 *   header, SPORE_BUNDLE_HDR_SIZE bytes:
 *     0  magic "SPOREBDL"
 *     8  u32 version (SPORE_BUNDLE_VERSION)
 *    12  u32 total length, header included
 *    16  u32 CRC-32 (IEEE, as zlib's crc32()) of the body
 *    20  u32 reserved, 0
 *   body: records until the total length, each
 *     u32 tag, u32 length, length bytes of value.
 * String values carry their terminating NUL inside the length and no other
 * NUL, so the decoder hands out pointers into the buffer without copying.
 * Scalars may appear once; list tags (ARG, ENV, DNS, VOLUME, TMPFS) repeat, in
 * order. Unknown tags are skipped so that optional fields can be added
 * without a version change; anything else malformed rejects the bundle.
 *
 * argv is final: the controller applies the OCI rules (Entrypoint + Cmd, CLI
 * args replace Cmd, --entrypoint replaces Entrypoint). argv[0] is looked up
 * in the container's PATH by sporeinit when it has no '/'. env is final too
 * (image Env merged with -e/--env-file); sporeinit only adds PATH, HOME and
 * TERM (tty) when they are missing. */
#ifndef SPORE_BUNDLE_H
#define SPORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_BUNDLE_INITRD_FILE "spore-bundle"
#define SPORE_BUNDLE_DEV         "xvdb"
#define SPORE_BUNDLE_IMAGE_DEV   "xvda"
#define SPORE_BUNDLE_MAGIC       "SPOREBDL"
#define SPORE_BUNDLE_VERSION     1u
#define SPORE_BUNDLE_HDR_SIZE    24u
#define SPORE_BUNDLE_MAX_SIZE    (4u << 20)
#define SPORE_BUNDLE_ALIGN       4096u

#define SPORE_BUNDLE_MAX_ARGS    2048
#define SPORE_BUNDLE_MAX_ENV     2048
#define SPORE_BUNDLE_MAX_DNS     4
#define SPORE_BUNDLE_MAX_VOLUMES 16
#define SPORE_BUNDLE_MAX_TMPFS   16
#define SPORE_BUNDLE_NAME_MAX    31  /* device and fs type names */
#define SPORE_BUNDLE_HOST_MAX    64
/* The node (relative to the guest's domain path) dom0 writes to release a
 * gated container: under control/, which the guest may read but not write. */
#define SPORE_START_GATE_NODE    "control/spore-start"
#define SPORE_BUNDLE_DEF_STOP    10  /* seconds between SIGTERM and SIGKILL */
#define SPORE_BUNDLE_DEF_STOP_SIGNAL 15 /* SIGTERM, as docker */
#define SPORE_BUNDLE_MAX_SIGNAL  64  /* Linux's _NSIG - 1 */

enum spore_bundle_tag {
	SPORE_BT_ARG = 1,        /* string, repeated: argv */
	SPORE_BT_ENV,            /* string "K=V", repeated; values are any bytes but NUL */
	SPORE_BT_USER,           /* string: "", name, uid, uid:gid, name:group */
	SPORE_BT_WORKDIR,        /* string: absolute path, created if missing */
	SPORE_BT_HOSTNAME,       /* string: [A-Za-z0-9.-], up to 64 */
	SPORE_BT_TTY,            /* u8 0/1: container gets hvc0 as controlling tty */
	SPORE_BT_OVERLAY_SIZE,   /* u64 bytes of the tmpfs upper layer, 0 = kernel default */
	SPORE_BT_IMAGE_DEV,      /* string: block device name of the image, e.g. "xvda" */
	SPORE_BT_IPV4,           /* 4 addr, 1 prefix, 4 gateway (0.0.0.0 = none) */
	SPORE_BT_IPV6,           /* 16 addr, 1 prefix, 16 gateway (:: = none) */
	SPORE_BT_MTU,            /* u32, 0 = leave the driver's */
	SPORE_BT_DNS,            /* 4 or 16 bytes, repeated: resolv.conf nameservers */
	SPORE_BT_VOLUME,         /* u8 flags, dev\0, target\0, fstype\0; repeated */
	SPORE_BT_STOP_TIMEOUT,   /* u32 seconds of grace on a stop request */
	SPORE_BT_STDIN,          /* u8 0/1: console input reaches the container (else /dev/null) */
	SPORE_BT_TMPFS,          /* u64 size (0 = kernel default), u32 mode (<= 07777), u8 flags
				  * (SPORE_TMPFS_*), target\0; repeated */
	SPORE_BT_READ_ONLY,      /* u8 0/1: the container's root is read-only */
	SPORE_BT_UPPER_DEV,      /* string: block device (ext4, made empty by the controller)
				  * holding the overlay's upper layer; absent = tmpfs */
	SPORE_BT_STOP_SIGNAL,    /* u32 signal sent on a stop request (1..64); absent = SIGTERM */
	SPORE_BT_START_GATE,     /* u8 0/1: the container starts only once dom0 writes
				  * SPORE_START_GATE_NODE (spore-runc's create, then start) */
};

/* Volume flags. FILE: the filesystem holds one regular file, named
 * SPORE_VOLUME_FILE_NAME at its root, which is bound on target (a file),
 * not the filesystem itself (a host file given to -v). */
#define SPORE_VOLUME_RO   0x01u
#define SPORE_VOLUME_FILE 0x02u
#define SPORE_VOLUME_FILE_NAME "file"

/* tmpfs flags, docker's --tmpfs options; its default is NOEXEC|NOSUID|NODEV. */
#define SPORE_TMPFS_RO     0x01u
#define SPORE_TMPFS_NOEXEC 0x02u
#define SPORE_TMPFS_NOSUID 0x04u
#define SPORE_TMPFS_NODEV  0x08u
#define SPORE_TMPFS_FLAGS  0x0fu

struct spore_bundle_ipv4 {
	uint8_t addr[4], prefix, gateway[4];
};

struct spore_bundle_ipv6 {
	uint8_t addr[16], prefix, gateway[16];
};

struct spore_bundle_dns {
	uint8_t len;             /* 4 (IPv4) or 16 (IPv6) */
	uint8_t addr[16];
};

struct spore_bundle_volume {
	const char *device;      /* block device name, e.g. "xvdc" */
	const char *target;      /* absolute path in the container, no ".." */
	const char *fstype;      /* e.g. "ext4" */
	bool ro;
	bool file;               /* SPORE_VOLUME_FILE */
};

struct spore_bundle_tmpfs {
	const char *target;      /* absolute path in the container, not "/", no ".." */
	uint64_t size;           /* bytes, 0 = the kernel's default (half the RAM) */
	uint32_t mode;           /* permission bits of its root, <= 07777 */
	uint8_t flags;           /* SPORE_TMPFS_* */
};

/* Decoded form, and the input of the encoder. Strings point into the decoded
 * buffer, which must outlive the struct. It is large (about 33 KiB): keep it
 * static or on the heap. */
struct spore_bundle {
	unsigned argc, envc;
	const char *argv[SPORE_BUNDLE_MAX_ARGS + 1];  /* NULL-terminated */
	const char *envp[SPORE_BUNDLE_MAX_ENV + 1];   /* NULL-terminated */
	const char *user;        /* NULL = root */
	const char *workdir;     /* NULL = "/" */
	const char *hostname;    /* NULL = leave the kernel's */
	const char *image_dev;   /* required */
	const char *upper_dev;   /* NULL = the overlay's upper layer is a tmpfs */
	bool tty, stdin_open, read_only;
	bool start_gate;         /* SPORE_BT_START_GATE */
	bool has_ipv4, has_ipv6;
	struct spore_bundle_ipv4 ipv4;
	struct spore_bundle_ipv6 ipv6;
	uint32_t mtu;
	uint64_t overlay_size;
	uint32_t stop_timeout;
	uint32_t stop_signal;    /* docker's StopSignal; SPORE_BUNDLE_DEF_STOP_SIGNAL by default */
	unsigned ndns, nvolumes, ntmpfs;
	struct spore_bundle_dns dns[SPORE_BUNDLE_MAX_DNS];
	struct spore_bundle_volume volumes[SPORE_BUNDLE_MAX_VOLUMES];
	struct spore_bundle_tmpfs tmpfs[SPORE_BUNDLE_MAX_TMPFS];
};

/* Zeroes b and sets the defaults (stop_timeout, stop_signal). */
void spore_bundle_init(struct spore_bundle *b);

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc = 0 to start. */
uint32_t spore_crc32(uint32_t crc, const void *buf, size_t len);

/* Checks a header (at least SPORE_BUNDLE_HDR_SIZE bytes) and returns the
 * bundle's total length, or 0 with *why set. Lets a reader read exactly the
 * bundle from a device that is larger. */
size_t spore_bundle_peek(const void *hdr, size_t len, const char **why);

/* Decodes buf[0..len) into b (len may exceed the bundle: the rest is
 * ignored). Returns 0, or -1 with *why set to a static reason. Never reads
 * outside buf; b's strings point into buf. */
int spore_bundle_decode(struct spore_bundle *b, const void *buf, size_t len, const char **why);

/* Encodes b into a malloc'd buffer (*out, *outlen; free() it), validating it
 * with the decoder's rules. Returns 0, or -1 with *why set. */
int spore_bundle_encode(const struct spore_bundle *b, uint8_t **out, size_t *outlen,
			const char **why);

/* Validation shared with the controller, for early errors. */
bool spore_bundle_name_ok(const char *s);     /* device / fs type name */
bool spore_bundle_hostname_ok(const char *s);
bool spore_bundle_path_ok(const char *s);     /* absolute, no "." or ".." component */

#endif
