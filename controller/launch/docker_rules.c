/* docker run's rules for argv, environment, user and directory; see
 * docker_rules.h. */
#include "docker_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void docker_strings_free(struct docker_strings *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->s[i]);
	free(st->s);
	*st = (struct docker_strings){0};
}

static int add_arg(struct spore_bundle *b, const char *arg, struct spore_err *err)
{
	if (b->argc >= SPORE_BUNDLE_MAX_ARGS)
		return spore_err_setx(err, E2BIG, "more than %d arguments", SPORE_BUNDLE_MAX_ARGS);
	b->argv[b->argc++] = arg;
	b->argv[b->argc] = NULL;
	return 0;
}

static int add_args(struct spore_bundle *b, char *const *v, size_t n, struct spore_err *err)
{
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++)
		r = add_arg(b, v[i], err);
	return r;
}

static int make_argv(const struct docker_image_conf *img, const struct docker_run_args *a,
		     struct spore_bundle *b, struct spore_err *err)
{
	int r = 0;

	if (a->entrypoint_set) {
		if (a->entrypoint && *a->entrypoint)
			r = add_arg(b, a->entrypoint, err);
	} else {
		r = add_args(b, img->entrypoint, img->n_entrypoint, err);
	}
	if (r < 0)
		return r;
	if (a->ncmd > 0)
		r = add_args(b, a->cmd, a->ncmd, err);
	else if (!a->entrypoint_set)
		r = add_args(b, img->cmd, img->n_cmd, err);
	if (r >= 0 && b->argc == 0)
		r = spore_err_setx(err, EINVAL, "nothing to run (no entrypoint or command); give a command after the image");
	return r;
}

/* kv is "KEY=VALUE" and outlives b. Replaces KEY's earlier entry in place. */
static int put_env(struct spore_bundle *b, const char *kv, struct spore_err *err)
{
	size_t klen = strchr(kv, '=') - kv;

	if (klen == 0)
		return spore_err_setx(err, EINVAL, "bad environment entry '%s'", kv);
	for (unsigned i = 0; i < b->envc; i++) {
		if (!strncmp(b->envp[i], kv, klen) && b->envp[i][klen] == '=') {
			b->envp[i] = kv;
			return 0;
		}
	}
	if (b->envc >= SPORE_BUNDLE_MAX_ENV)
		return spore_err_setx(err, E2BIG, "more than %d environment entries",
				      SPORE_BUNDLE_MAX_ENV);
	b->envp[b->envc++] = kv;
	b->envp[b->envc] = NULL;
	return 0;
}

/* A user's entry: KEY=VALUE, or a bare KEY whose value comes from lookup. */
static int user_env(const struct docker_run_args *a, struct spore_bundle *b,
		    struct docker_strings *st, const char *kv, struct spore_err *err)
{
	if (strchr(kv, '='))
		return put_env(b, kv, err);
	if (!*kv)
		return spore_err_setx(err, EINVAL, "bad environment entry ''");
	const char *v = a->lookup ? a->lookup(kv, a->lookup_ctx) : NULL;
	if (!v)
		return 0;
	char **grown = realloc(st->s, (st->n + 1) * sizeof(*st->s));
	if (!grown)
		return spore_err_set(err, ENOMEM, "environment");
	st->s = grown;
	if (asprintf(&st->s[st->n], "%s=%s", kv, v) < 0)
		return spore_err_set(err, ENOMEM, "environment");
	return put_env(b, st->s[st->n++], err);
}

/* --env-file's text: one entry a line, split in place. */
static int env_file(const struct docker_run_args *a, struct spore_bundle *b,
		    struct docker_strings *st, struct spore_err *err)
{
	char *line = a->env_file;
	int r = 0;

	while (line && *line && r >= 0) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t n = strlen(line);
		while (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n > 0 && line[0] != '#')
			r = user_env(a, b, st, line, err);
		line = next;
	}
	return r;
}

static const char *unless_empty(const char *s)
{
	return s && *s ? s : NULL;
}

int docker_rules_apply(const struct docker_image_conf *img, const struct docker_run_args *a,
		       struct spore_bundle *b, struct docker_strings *st, struct spore_err *err)
{
	int r = make_argv(img, a, b, err);

	for (size_t i = 0; i < img->n_env && r >= 0; i++)
		if (strchr(img->env[i], '='))
			r = put_env(b, img->env[i], err);
	if (r >= 0)
		r = env_file(a, b, st, err);
	for (size_t i = 0; i < a->nenv && r >= 0; i++)
		r = user_env(a, b, st, a->env[i], err);
	if (r < 0)
		return r;
	b->user = a->user ? a->user : unless_empty(img->user);
	b->workdir = a->workdir ? a->workdir : unless_empty(img->working_dir);
	return 0;
}

int docker_cpus_parse(const char *s, uint32_t *vcpus, uint16_t *cap_pct)
{
	const uint64_t one = 1000000000; /* docker's NanoCPUs */
	uint64_t nano = 0, scale = one;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		nano = nano * 10 + (uint64_t)(*p - '0') * one;
		if (nano > 64 * one)
			return -EINVAL;
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if ((scale /= 10) == 0)
				return -EINVAL;
			nano += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p || nano == 0 || nano > 64 * one)
		return -EINVAL;
	*vcpus = (uint32_t)((nano + one - 1) / one);
	*cap_pct = (uint16_t)((nano * 100 + one - 1) / one);
	return 0;
}

int docker_signal_parse(const char *s, uint32_t *sig)
{
	/* Linux's numbering on x86 (the guest's), as moby's signal map. */
	static const struct {
		const char *name;
		uint32_t sig;
	} names[] = {
		{"HUP", 1},   {"INT", 2},     {"QUIT", 3},  {"ILL", 4},    {"TRAP", 5},   {"ABRT", 6},
		{"IOT", 6},   {"BUS", 7},     {"FPE", 8},   {"KILL", 9},   {"USR1", 10},  {"SEGV", 11},
		{"USR2", 12}, {"PIPE", 13},   {"ALRM", 14}, {"TERM", 15},  {"STKFLT", 16}, {"CHLD", 17},
		{"CLD", 17},  {"CONT", 18},   {"STOP", 19}, {"TSTP", 20},  {"TTIN", 21},  {"TTOU", 22},
		{"URG", 23},  {"XCPU", 24},   {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},
		{"IO", 29},   {"POLL", 29},   {"PWR", 30},  {"SYS", 31},   {"RTMIN", 34}, {"RTMAX", 64},
	};
	char up[16];
	size_t n = 0;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (isdigit((unsigned char)s[0])) {
		unsigned long v = strtoul(s, &end, 10);
		if (*end || s[0] == '0' || v < 1 || v > 64)
			return -EINVAL;
		*sig = (uint32_t)v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (; s[n] && n + 1 < sizeof(up); n++)
		up[n] = (char)toupper((unsigned char)s[n]);
	if (s[n])
		return -EINVAL;
	up[n] = '\0';
	/* RTMIN+N and RTMAX-N, N within the real-time range. */
	char *op = strpbrk(up, "+-");
	long off = 0;
	if (op) {
		if (!isdigit((unsigned char)op[1]))
			return -EINVAL;
		off = strtol(op + 1, &end, 10);
		if (*end || off > 30)
			return -EINVAL;
		if (*op == '-')
			off = -off;
		*op = '\0';
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(up, names[i].name))
			continue;
		bool rt = names[i].sig >= 34;
		if (op && (!rt || (names[i].sig == 34 && off < 0) || (names[i].sig == 64 && off > 0)))
			return -EINVAL;
		long v = (long)names[i].sig + off;
		if (v < 34 && rt)
			return -EINVAL;
		*sig = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}
