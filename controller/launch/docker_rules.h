/* What a container runs, by docker run's rules: argv from the image's
 * Entrypoint and Cmd and the command line, the environment from the image's
 * Env, --env-file and -e, the user and working directory from -u/-w or the
 * image. Pure (the caller reads files and looks up its own environment), so
 * the rules are unit-tested; the result fills a launch bundle. */
#ifndef SPORE_DOCKER_RULES_H
#define SPORE_DOCKER_RULES_H

#include <spore/bundle.h>
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The image's side (an OCI image config; NULL lists are empty). */
struct docker_image_conf {
	char *const *entrypoint, *const *cmd, *const *env;
	size_t n_entrypoint, n_cmd, n_env;
	const char *user, *working_dir; /* NULL or "": unset */
};

/* The user's side, as docker run takes it. */
struct docker_run_args {
	bool entrypoint_set;    /* --entrypoint given ("" clears it) */
	const char *entrypoint;
	char *const *cmd;       /* after IMAGE */
	size_t ncmd;
	char *env_file;         /* --env-file's text, or NULL; split in place */
	const char *const *env; /* -e, in order */
	size_t nenv;
	const char *user, *workdir; /* -u, -w, or NULL */
	/* A bare KEY's value (from -e or --env-file): sporectl's environment
	 * (getenv); NULL means the key is dropped. */
	const char *(*lookup)(const char *key, void *ctx);
	void *lookup_ctx;
};

/* Strings the rules had to make ("KEY=value" for a bare KEY); the bundle
 * points into them until docker_strings_free. */
struct docker_strings {
	char **s;
	size_t n;
};
void docker_strings_free(struct docker_strings *st);

/* Fills b->argv/argc, b->envp/envc, b->user and b->workdir:
 *  - argv: --entrypoint replaces Entrypoint and drops the image's Cmd
 *    ("" for no entrypoint); a command after IMAGE replaces Cmd. Empty is
 *    -EINVAL ("has no command"); more than SPORE_BUNDLE_MAX_ARGS, -E2BIG.
 *  - env: the image's Env, then --env-file's lines (blank and '#' lines
 *    skipped, CR LF endings taken), then -e; a later KEY replaces an
 *    earlier one in place. KEY=VALUE is taken as is; a bare KEY from
 *    --env-file or -e takes lookup's value, and is dropped without one; an
 *    image entry without '=' is dropped (the host's environment is not the
 *    image's to read). An empty KEY is -EINVAL.
 *  - user, workdir: -u/-w, else the image's, else NULL (sporeinit's
 *    defaults: root, /). */
int docker_rules_apply(const struct docker_image_conf *img, const struct docker_run_args *a,
		       struct spore_bundle *b, struct docker_strings *st, struct spore_err *err);

/* docker's --cpus: a decimal number of CPUs in (0, 64] ("0.5", "1.5", at
 * most 9 fraction digits) into the vCPUs it needs (rounded up) and Xen's
 * scheduler cap in percent of one CPU (rounded up, so 0.001 is 1%).
 * -EINVAL for anything else. */
int docker_cpus_parse(const char *s, uint32_t *vcpus, uint16_t *cap_pct);

/* docker's signal names, as an image's StopSignal and --stop-signal take
 * them: a number 1..64, or a Linux x86 name with or without "SIG", any
 * case ("SIGUSR1", "usr1", "RTMIN+3", "SIGRTMAX-2"). -EINVAL otherwise. */
int docker_signal_parse(const char *s, uint32_t *sig);

#endif
