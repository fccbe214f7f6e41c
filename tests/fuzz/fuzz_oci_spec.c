/* libFuzzer target for spore-runc's parsers (runtime/): config.json (odd
 * first byte) and its own state file (even). A config.json that parses
 * must make a launch bundle the encoder accepts and sporeinit decodes: every
 * string the guest gets was checked here. */
#include "oci_spec.h"
#include "runc_state.h"
#include <spore/bundle.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct spore_bundle b, back;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_err err = {0};

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct spore_oci_spec s;
		if (spore_oci_spec_parse((const char *)data + 1, size - 1, &s, &err) == 0) {
			const char *why = NULL;
			uint8_t *buf = NULL;
			size_t len = 0;

			spore_bundle_init(&b);
			for (size_t i = 0; i < s.argc; i++)
				b.argv[b.argc++] = s.argv[i];
			for (size_t i = 0; i < s.envc; i++)
				b.envp[b.envc++] = s.envp[i];
			b.user = s.user;
			b.workdir = s.cwd;
			b.hostname = s.hostname;
			b.image_dev = SPORE_BUNDLE_IMAGE_DEV;
			b.start_gate = true;
			if (s.argc < 1 || s.argv[s.argc] || s.envp[s.envc] || s.vcpus < 1 ||
			    s.memory_mib < SPORE_OCI_MIN_MEMORY_MIB || !s.root_path || !*s.root_path)
				abort();
			/* Control bytes in args are the container's business; what
			 * the encoder refuses (a user with control bytes cannot come
			 * from uid:gid) must not come out of the parser otherwise. */
			if (spore_bundle_encode(&b, &buf, &len, &why) < 0 ||
			    spore_bundle_decode(&back, buf, len, &why) < 0 || back.argc != b.argc)
				abort();
			free(buf);
		}
		spore_oci_spec_free(&s);
	} else {
		struct spore_runc_state st;
		char *out = NULL;
		if (spore_runc_state_parse((const char *)data + 1, size - 1, &st, &err) == 0) {
			if (!spore_runc_id_ok(st.id) || spore_runc_state_oci(&st, st.status, &out) < 0)
				abort();
			free(out);
		}
		spore_runc_state_free(&st);
	}
	return 0;
}
