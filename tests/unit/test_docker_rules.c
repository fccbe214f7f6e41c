/* docker run's argv/env/user rules (controller/launch/docker_rules.c). */
#include "docker_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static struct spore_bundle b;
static struct docker_strings st;
static struct spore_err err;

/* The bundle's argv or env as one string, entries joined by '|'. */
static const char *join(const char *const *v, unsigned n)
{
	static char buf[1024];
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "|" : "", v[i]);
	return buf;
}

static int apply(const struct docker_image_conf *img, const struct docker_run_args *a)
{
	docker_strings_free(&st);
	spore_bundle_init(&b);
	err = (struct spore_err){0};
	return docker_rules_apply(img, a, &b, &st, &err);
}

#define ARGV() join(b.argv, b.argc)
#define ENV() join(b.envp, b.envc)

/* A fake environment for bare keys. */
static const char *lookup(const char *key, void *ctx)
{
	(void)ctx;
	if (!strcmp(key, "HOSTVAR"))
		return "from-host";
	if (!strcmp(key, "EMPTY"))
		return "";
	return NULL;
}

static void cpus(void)
{
	uint32_t v = 0;
	uint16_t cap = 0;

	ok(docker_cpus_parse("1", &v, &cap) == 0 && v == 1 && cap == 100, "--cpus 1: one vCPU, 100%%");
	ok(docker_cpus_parse("0.5", &v, &cap) == 0 && v == 1 && cap == 50, "--cpus 0.5: one vCPU, 50%%");
	ok(docker_cpus_parse("1.5", &v, &cap) == 0 && v == 2 && cap == 150,
	   "--cpus 1.5: two vCPUs, 150%% (vCPUs round up)");
	ok(docker_cpus_parse("0.001", &v, &cap) == 0 && v == 1 && cap == 1,
	   "--cpus 0.001: a cap rounds up, never to 0 (no cap)");
	ok(docker_cpus_parse("64", &v, &cap) == 0 && v == 64 && cap == 6400, "--cpus 64: the most");
	ok(docker_cpus_parse("2.000000000", &v, &cap) == 0 && v == 2 && cap == 200,
	   "nine fraction digits (docker's NanoCPUs)");
	static const char *const bad[] = {"",   "0",    "0.0", "64.000000001", "65", "-1",  "+1",
					  "1.", ".5",   "1.5x", "1e2", "0.0000000001", " 1", "99999999999999999999"};
	int nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (docker_cpus_parse(bad[i], &v, &cap) != -EINVAL) {
			printf("#   '%s' was taken\n", bad[i]);
			nbad++;
		}
	is_int(nbad, 0, "0, above 64, signs, junk, exponents and too many digits are refused");
}

static void signals(void)
{
	static const struct {
		const char *s;
		uint32_t sig;
	} good[] = {{"SIGTERM", 15}, {"TERM", 15}, {"sigusr1", 10}, {"Usr2", 12}, {"9", 9},
		    {"64", 64},      {"SIGRTMIN", 34}, {"RTMIN+3", 37}, {"SIGRTMAX-2", 62},
		    {"SIGRTMAX", 64}, {"SIGIOT", 6}, {"winch", 28}};
	int nbad = 0;
	uint32_t v;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (docker_signal_parse(good[i].s, &v) != 0 || v != good[i].sig) {
			printf("#   '%s' gave %u\n", good[i].s, (unsigned)v);
			nbad++;
		}
	is_int(nbad, 0, "signal names with or without SIG, any case, numbers, RTMIN+N, RTMAX-N");
	static const char *const bad[] = {"",       "0",          "65",     "-1",         "SIG",
					  "SIGFOO", "SIGTERM+1", "RTMIN-1", "RTMAX+1",   "RTMIN+31",
					  "1x",     "SIGUSR1 ",  "010",     "SIGSIGTERM", "RTMIN+"};
	nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (docker_signal_parse(bad[i], &v) != -EINVAL) {
			printf("#   '%s' was taken (%u)\n", bad[i], (unsigned)v);
			nbad++;
		}
	is_int(nbad, 0, "unknown names, 0, above 64, offsets on a plain signal or out of range refused");
}

int main(void)
{
	char *ep[] = {"/entry", "--flag"}, *cmd[] = {"serve", "--port=80"};
	char *ienv[] = {"PATH=/usr/bin", "A=image", "BARE", "B=image"};
	struct docker_image_conf img = {.entrypoint = ep, .n_entrypoint = 2, .cmd = cmd, .n_cmd = 2,
					.env = ienv, .n_env = 4, .user = "app", .working_dir = "/srv"};
	struct docker_image_conf none = {0};
	char *mine[] = {"sh", "-c", "echo hi"};

	/* argv */
	is_int(apply(&img, &(struct docker_run_args){0}), 0, "image defaults apply");
	is_str(ARGV(), "/entry|--flag|serve|--port=80", "Entrypoint + Cmd");
	is_int(b.argv[b.argc] == NULL, 1, "argv is NULL-terminated");
	apply(&img, &(struct docker_run_args){.cmd = mine, .ncmd = 3});
	is_str(ARGV(), "/entry|--flag|sh|-c|echo hi", "a command after IMAGE replaces Cmd only");
	apply(&img, &(struct docker_run_args){.entrypoint_set = true, .entrypoint = "/bin/other"});
	is_str(ARGV(), "/bin/other", "--entrypoint replaces Entrypoint and drops Cmd");
	apply(&img, &(struct docker_run_args){.entrypoint_set = true, .entrypoint = "/bin/other",
					      .cmd = mine, .ncmd = 1});
	is_str(ARGV(), "/bin/other|sh", "--entrypoint with a command: both");
	apply(&img, &(struct docker_run_args){.entrypoint_set = true, .entrypoint = "", .cmd = mine,
					      .ncmd = 3});
	is_str(ARGV(), "sh|-c|echo hi", "--entrypoint '' clears it: the command alone");
	is_int(apply(&img, &(struct docker_run_args){.entrypoint_set = true, .entrypoint = ""}),
	       -EINVAL, "--entrypoint '' and no command: nothing to run");
	ok(strstr(err.msg, "give a command after the image") != NULL, "... says what to do: %s",
	   err.msg);
	is_int(apply(&none, &(struct docker_run_args){0}), -EINVAL,
	       "an image without Entrypoint or Cmd and no command is refused");
	apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1});
	is_str(ARGV(), "sh", "... and runs a command given");

	static char *many[SPORE_BUNDLE_MAX_ARGS + 1];
	for (size_t i = 0; i <= SPORE_BUNDLE_MAX_ARGS; i++)
		many[i] = "x";
	is_int(apply(&none, &(struct docker_run_args){.cmd = many, .ncmd = SPORE_BUNDLE_MAX_ARGS}), 0,
	       "%d arguments are taken", SPORE_BUNDLE_MAX_ARGS);
	is_int(apply(&none, &(struct docker_run_args){.cmd = many, .ncmd = SPORE_BUNDLE_MAX_ARGS + 1}),
	       -E2BIG, "one more is refused, not cut");

	/* env */
	apply(&img, &(struct docker_run_args){0});
	is_str(ENV(), "PATH=/usr/bin|A=image|B=image", "the image's Env; its bare entry is dropped");
	const char *e1[] = {"A=cli", "C=new", "PATH=/bin"};
	apply(&img, &(struct docker_run_args){.env = e1, .nenv = 3});
	is_str(ENV(), "PATH=/bin|A=cli|B=image|C=new", "-e replaces in place, appends new keys");
	const char *e2[] = {"A=one", "A=two"};
	apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env = e2, .nenv = 2});
	is_str(ENV(), "A=two", "the last -e of a key wins");
	const char *e3[] = {"HOSTVAR", "UNSET", "EMPTY", "X=a=b"};
	apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env = e3, .nenv = 4,
					       .lookup = lookup});
	is_str(ENV(), "HOSTVAR=from-host|EMPTY=|X=a=b",
	       "bare -e KEY: the host's value, dropped if unset, kept if empty; '=' in a value");
	apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env = e3, .nenv = 1});
	is_str(ENV(), "", "bare -e KEY without a lookup: dropped");
	const char *bad[] = {"=value"};
	is_int(apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env = bad, .nenv = 1}),
	       -EINVAL, "an empty key is refused");
	ok(strstr(err.msg, "'=value'") != NULL, "... naming the entry: %s", err.msg);
	const char *bad2[] = {""};
	is_int(apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env = bad2, .nenv = 1,
						      .lookup = lookup}),
	       -EINVAL, "an empty -e is refused");

	char file[] = "# comment\nA=file\r\n\nHOSTVAR\nUNSET\nD=1\nB=file";
	const char *e4[] = {"D=cli"};
	apply(&img, &(struct docker_run_args){.env_file = file, .env = e4, .nenv = 1,
					      .lookup = lookup});
	is_str(ENV(), "PATH=/usr/bin|A=file|B=file|HOSTVAR=from-host|D=cli",
	       "--env-file: after the image's Env, before -e; comments, blank lines, CR, bare keys");
	char badfile[] = "OK=1\n=oops\n";
	is_int(apply(&none, &(struct docker_run_args){.cmd = mine, .ncmd = 1, .env_file = badfile}),
	       -EINVAL, "--env-file: an empty key is refused");

	/* user and workdir */
	apply(&img, &(struct docker_run_args){0});
	is_str(b.user, "app", "the image's User");
	is_str(b.workdir, "/srv", "the image's WorkingDir");
	apply(&img, &(struct docker_run_args){.user = "1000:1000", .workdir = "/tmp"});
	is_str(b.user, "1000:1000", "-u overrides");
	is_str(b.workdir, "/tmp", "-w overrides");
	struct docker_image_conf blank = {.cmd = cmd, .n_cmd = 1, .user = "", .working_dir = ""};
	apply(&blank, &(struct docker_run_args){0});
	ok(b.user == NULL && b.workdir == NULL, "empty image User and WorkingDir: sporeinit's defaults");

	docker_strings_free(&st);
	cpus();
	signals();
	return tap_done();
}
