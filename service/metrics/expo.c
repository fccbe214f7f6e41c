/* The exposition format's lexical rules (expo.h). Label values are
 * guest-chosen names among others: only \\, \" and \n are escapes there, so
 * every other control byte, and bytes that may not be UTF-8, are written
 * as '?' rather than passed to whatever reads the page. */
#include "expo.h"

#include <inttypes.h>

static void put_escaped(FILE *f, const char *s, int quote)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '"' && quote)
			fputs("\\\"", f);
		else if (c < 0x20 || c >= 0x7f)
			fputc('?', f);
		else
			fputc(c, f);
	}
}

void expo_family(FILE *f, const char *name, enum expo_type t, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	put_escaped(f, help, 0);
	fprintf(f, "\n# TYPE %s %s\n", name,
		t == EXPO_COUNTER ? "counter" : t == EXPO_HISTOGRAM ? "histogram" : "gauge");
}

static void put_name(FILE *f, const char *name, const struct expo_label *l, size_t nl)
{
	fputs(name, f);
	if (!nl)
		return;
	fputc('{', f);
	for (size_t i = 0; i < nl; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(f, l[i].value, 1);
		fputc('"', f);
	}
	fputc('}', f);
}

void expo_u64(FILE *f, const char *name, const struct expo_label *l, size_t nl, uint64_t v)
{
	put_name(f, name, l, nl);
	fprintf(f, " %" PRIu64 "\n", v);
}

void expo_ns_as_seconds(FILE *f, const char *name, const struct expo_label *l, size_t nl,
			uint64_t ns)
{
	put_name(f, name, l, nl);
	fprintf(f, " %" PRIu64 ".%09" PRIu64 "\n", ns / 1000000000u, ns % 1000000000u);
}
