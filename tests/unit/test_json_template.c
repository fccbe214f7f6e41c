/* docker's --format subset (controller/cli/json_template.c). */
#include "json_template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static char out[512];

static const char *apply(const char *tmpl, const json_t *v)
{
	FILE *f = fmemopen(out, sizeof(out), "w");
	out[0] = '\0';
	if (!f)
		return "(fmemopen failed)";
	json_template_apply(tmpl, v, f);
	fclose(f);
	return out;
}

static int check(const char *tmpl)
{
	struct spore_err e = {0};
	return json_template_check(tmpl, &e);
}

int main(void)
{
	json_t *g = json_pack("{s:s, s:I, s:b, s:n, s:{s:s}, s:[s,s], s:s}", "name", "web", "domid",
			      (json_int_t)7, "allow_dom0", 0, "exited", "net", "ipv4", "10.0.0.2",
			      "ports", "a", "b", "image", "evil\x1b]52;c;AAAA\x07\xc2\x9b");

	is_str(apply("{{.name}}", g), "web", "a string field");
	is_str(apply("id={{.domid}} dom0={{.allow_dom0}}", g), "id=7 dom0=false",
	       "numbers and booleans, with literal text around them");
	is_str(apply("{{ .net.ipv4 }}", g), "10.0.0.2", "a nested field; spaces inside the braces");
	is_str(apply("{{.exited}}|{{.nope}}|{{.name.x}}", g), "<no value>|<no value>|<no value>",
	       "null, a missing field and a field of a string: <no value>, as docker");
	is_str(apply("{{json .ports}}", g), "[\"a\",\"b\"]", "json: an array compact");
	is_str(apply("{{json .name}}", g), "\"web\"", "json: a string quoted");
	is_str(apply("{{json .exited}}", g), "null", "json: null");
	is_str(apply("{{.ports}}", g), "[\"a\",\"b\"]", "an array without json: JSON too");
	ok(strchr(apply("{{.image}}", g), 0x1b) == NULL && strchr(out, 0x07) == NULL &&
		   strchr(out, (char)0xc2) == NULL,
	   "control and non-ASCII bytes never reach the terminal: %s", out);
	ok(strchr(apply("{{json .image}}", g), 0x1b) == NULL && strcasestr(out, "\\u001b") &&
		   strcasestr(out, "\\u009b"),
	   "nor through json (escaped): %s", out);
	is_str(apply("no actions", g), "no actions", "text without actions as it is");
	json_t *x = json_string("x");
	is_str(apply("{{.}}", x), "x", "{{.}} is the value itself");
	json_decref(x);

	is_int(check("{{.name}} {{json .a.b}} {{.}}"), 0, "valid templates pass the check");
	static const char *const bad[] = {"{{.name", "{{name}}", "{{}}", "{{.a..b}}", "{{.a.}}",
					  "{{json}}", "{{json name}}", "{{.a b}}", "{{index .a 1}}",
					  "{{.a-b}}"};
	int nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check(bad[i]) != -EINVAL) {
			printf("#   '%s' passed\n", bad[i]);
			nbad++;
		}
	is_int(nbad, 0, "what is not {{.path}} or {{json .path}} is refused");
	struct spore_err e = {0};
	json_template_check("ok {{.a b}}", &e);
	ok(strstr(e.msg, "'{{.a b}}'") != NULL, "the message names the action: %s", e.msg);
	json_decref(g);
	return tap_done();
}
