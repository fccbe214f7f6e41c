/* docker's --format for spore's JSON objects: literal text with
 * {{.key.key}} (a field, walked through nested objects; {{.}} is the whole
 * value) and {{json .key}} (the field as compact JSON). Strings print as
 * they are, with anything but printable ASCII, tab and newline shown as
 * '?' (a record may hold a guest's bytes); numbers and booleans as JSON
 * writes them; null and missing fields as "<no value>", as docker's
 * templates do; objects and arrays as compact JSON. Pure. */
#ifndef SPORECTL_JSON_TEMPLATE_H
#define SPORECTL_JSON_TEMPLATE_H

#include <spore/err.h>

#include <jansson.h>
#include <stdio.h>

/* Checks tmpl's syntax; -EINVAL with err naming the first bad action. */
int json_template_check(const char *tmpl, struct spore_err *err);

/* Writes tmpl applied to v to out (no newline added). tmpl must have
 * passed json_template_check. -EIO on a write error. */
int json_template_apply(const char *tmpl, const json_t *v, FILE *out);

#endif
