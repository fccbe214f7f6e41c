/* libFuzzer target for a registry's reply headers: the input is a header
 * block, one line per '\n', fed to the client's header parser as libcurl
 * would; then the WWW-Authenticate challenge it kept (and the whole input
 * as one) goes through the challenge parser. Seeds:
 * tests/fuzz/corpus/fuzz_registry_reply (make-corpus.sh). */
#include "oci_registry.h"
#include <spore/log.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_log_set_level(SPORE_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_reply_headers h;
	struct spore_challenge c;
	const char *p = (const char *)data, *end = p + size;

	memset(&h, 0, sizeof(h));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		/* libcurl's buffer is exactly the line: copy it so ASan sees
		 * any read past it. */
		char *line = malloc(n ? n : 1);
		if (!line)
			return 0;
		memcpy(line, p, n);
		spore_reply_header(&h, line, n);
		free(line);
		p += n;
	}
	spore_challenge_parse(h.www_auth, &c);
	(void)atol(h.retry_after);
	char *s = strndup((const char *)data, size);
	if (s)
		spore_challenge_parse(s, &c);
	free(s);
	return 0;
}
