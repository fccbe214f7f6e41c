#include "cpio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

/* Field i (0-based after the magic) of the newc header at h. */
static unsigned long field(const uint8_t *h, int i)
{
	char f[9];
	memcpy(f, h + 6 + 8 * i, 8);
	f[8] = '\0';
	return strtoul(f, NULL, 16);
}

/* sporeinit's initrd with a bundle appended: the file's bytes first, then
 * a cpio archive whose one file decodes to the bundle given. */
static void initrd_with_bundle(void)
{
	char path[] = "/tmp/test_cpio.XXXXXX";
	int fd = mkstemp(path);
	struct spore_bundle *in = calloc(1, sizeof(*in)), *out = calloc(1, sizeof(*out));
	struct spore_err e = {0};
	uint8_t *rd = NULL;
	size_t n = 0;
	const char *why = NULL;

	ok(fd >= 0 && write(fd, "INITRD", 6) == 6, "an initrd file");
	close(fd);
	spore_bundle_init(in);
	in->argv[in->argc++] = "true";
	in->image_dev = "xvda";
	is_int(spore_initrd_with_bundle(path, in, &rd, &n, &e), 0, "initrd and bundle joined");
	ok(rd && n > 6 + 110 && !memcmp(rd, "INITRD", 6), "the initrd's bytes come first");
	const uint8_t *name = rd ? memmem(rd, n, SPORE_BUNDLE_INITRD_FILE, strlen(SPORE_BUNDLE_INITRD_FILE)) : NULL;
	ok(name != NULL, "then a cpio entry named %s", SPORE_BUNDLE_INITRD_FILE);
	const uint8_t *magic = rd ? memmem(rd, n, SPORE_BUNDLE_MAGIC, 8) : NULL;
	ok(magic && spore_bundle_decode(out, magic, n - (size_t)(magic - rd), &why) == 0 &&
		   !strcmp(out->argv[0], "true"),
	   "holding the bundle given");
	free(rd);
	unlink(path);
	is_int(spore_initrd_with_bundle(path, in, &rd, &n, &e), -ENOENT, "a missing initrd is -ENOENT");
	ok(strstr(e.msg, "sporeinit's initrd") != NULL, "... saying which file: %s", e.msg);
	in->argc = 0;
	e = (struct spore_err){0};
	is_int(spore_initrd_with_bundle("/dev/null", in, &rd, &n, &e), -EINVAL,
	       "a bundle that does not encode is -EINVAL");
	free(in);
	free(out);
}

int main(void)
{
	struct spore_err e = {0};
	uint8_t *buf = malloc(5);
	size_t len = 5;

	memcpy(buf, "ABCDE", 5); /* an archive whose length is not a multiple of 4 */
	is_int(spore_cpio_append_file(&buf, &len, "spore-bundle", 0400, "hello", 5, &e), 0,
	       "file appended");
	ok(!memcmp(buf, "ABCDE\0\0\0", 8), "what was there is kept, padded to 4 bytes");
	const uint8_t *h = buf + 8;
	ok(!memcmp(h, "070701", 6), "newc magic");
	is_int((int)field(h, 1), 0100400, "regular file, mode 0400");
	is_int((int)field(h, 2), 0, "uid 0");
	is_int((int)field(h, 4), 1, "one link");
	is_int((int)field(h, 6), 5, "file size");
	is_int((int)field(h, 11), 13, "name size with its NUL");
	ok(!memcmp(h + 110, "spore-bundle", 13), "name");
	/* 110 + 13 = 123, padded to 124 */
	ok(!memcmp(h + 124, "hello\0\0\0", 8), "data padded to 4 bytes");
	const uint8_t *t = h + 132;
	ok(!memcmp(t, "070701", 6), "trailer header");
	is_int((int)field(t, 11), 11, "trailer name size");
	ok(!memcmp(t + 110, "TRAILER!!!", 11), "trailer name");
	is_int((int)len, (int)(t - buf) + 124, "length ends after the padded trailer");
	is_int((int)(len % 4), 0, "ends on a 4-byte boundary (another archive may follow)");

	is_int(spore_cpio_append_file(&buf, &len, "/abs", 0400, "", 0, &e), -EINVAL,
	       "absolute name refused");
	is_int(spore_cpio_append_file(&buf, &len, "", 0400, "", 0, &e), -EINVAL,
	       "empty name refused");
	free(buf);
	initrd_with_bundle();
	return tap_done();
}
