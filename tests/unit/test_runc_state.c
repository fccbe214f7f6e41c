/* spore-runc's state directory and pid file (runtime/state/). */
#include "runc_state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static void ids(void)
{
	ok(spore_runc_id_ok("abc"), "plain id");
	ok(spore_runc_id_ok("a_b+c.d-E9"), "runc's characters");
	ok(spore_runc_id_ok("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	   "a 64-hex CRI id");
	ok(!spore_runc_id_ok(""), "empty");
	ok(!spore_runc_id_ok(".") && !spore_runc_id_ok(".."), ". and ..");
	ok(!spore_runc_id_ok("a/b") && !spore_runc_id_ok("../x"), "no slash");
	ok(!spore_runc_id_ok("a b") && !spore_runc_id_ok("a\nb"), "no space or newline");
	char longid[SPORE_RUNC_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	ok(!spore_runc_id_ok(longid), "longer than %d", SPORE_RUNC_ID_MAX);
	longid[SPORE_RUNC_ID_MAX] = 0;
	ok(spore_runc_id_ok(longid), "exactly %d", SPORE_RUNC_ID_MAX);
}

static void statuses(void)
{
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_CREATED, true)), "created",
	       "created while the process lives");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_RUNNING, true)), "running",
	       "running");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_PAUSED, true)), "paused",
	       "paused");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_RUNNING, false)), "stopped",
	       "running without its process is stopped");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_CREATED, false)), "stopped",
	       "so is created");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_CREATING, false)), "created",
	       "creating shows as created (podman rejects creating)");
	is_str(spore_runc_status_name(spore_runc_status_live(SPORE_RUNC_STOPPED, true)), "stopped",
	       "stopped stays stopped");
}

static struct spore_runc_state sample(void)
{
	struct spore_runc_state st = {.pid = 4242, .pid_start = 987654, .status = SPORE_RUNC_RUNNING,
				      .image_shared = true, .no_guest = true};

	strcpy(st.id, "c1");
	strcpy(st.bundle, "/run/b/c1");
	strcpy(st.rootfs, "/run/b/c1/rootfs");
	strcpy(st.created, "2026-12-07T13:00:00.000000001Z");
	strcpy(st.uuid, "0c9f5a8e-2d7b-4c4e-9a51-7f3c2b1d0e6a");
	strcpy(st.image, "/var/lib/spore/runc/images/ctr-c1.sqfs");
	st.annotations = strdup("{\"k\":\"v\"}");
	return st;
}

static void codec(void)
{
	struct spore_runc_state st = sample(), back;
	struct spore_err e = {0};
	char *text = NULL, *oci = NULL;
	json_t *o;

	is_int(spore_runc_state_encode(&st, &text), 0, "encode");
	is_int(spore_runc_state_parse(text, strlen(text), &back, &e), 0, "parse back");
	ok(!strcmp(back.id, st.id) && !strcmp(back.bundle, st.bundle) &&
		   !strcmp(back.rootfs, st.rootfs) && !strcmp(back.created, st.created) &&
		   !strcmp(back.uuid, st.uuid) && !strcmp(back.image, st.image) &&
		   back.image_shared == st.image_shared && back.no_guest == st.no_guest &&
		   back.pid == st.pid && back.pid_start == st.pid_start &&
		   back.status == st.status,
	   "every field survives");
	is_str(back.annotations, "{\"k\":\"v\"}", "annotations survive");
	is_int(spore_runc_state_oci(&back, SPORE_RUNC_RUNNING, &oci), 0, "OCI state");
	o = json_loads(oci, 0, NULL);
	ok(o && json_object_size(o) == 9, "the OCI state's nine fields");
	is_str(json_string_value(json_object_get(o, "status")), "running", "status");
	is_int(json_integer_value(json_object_get(o, "pid")), 4242, "pid");
	is_str(json_string_value(json_object_get(o, "ociVersion")), SPORE_RUNC_OCI_VERSION, "ociVersion");
	ok(json_object_get(o, "owner") && !json_object_get(o, "uuid"), "owner, and nothing of spore's");
	is_str(json_string_value(json_object_get(json_object_get(o, "annotations"), "k")), "v",
	       "annotations");
	json_decref(o);
	free(oci);
	is_int(spore_runc_state_oci(&back, SPORE_RUNC_STOPPED, &oci), 0, "OCI state when stopped");
	o = json_loads(oci, 0, NULL);
	is_int(json_integer_value(json_object_get(o, "pid")), 0, "a stopped container has pid 0");
	json_decref(o);
	free(oci);
	spore_runc_state_free(&back);

	static const char *const bad[] = {
		"", "[]", "{\"bundle\":\"/b\",\"pid\":1,\"status\":\"running\"}",
		"{\"id\":\"../x\",\"bundle\":\"/b\",\"pid\":1,\"status\":\"running\"}",
		"{\"id\":\"a\",\"bundle\":\"/b\",\"pid\":-1,\"status\":\"running\"}",
		"{\"id\":\"a\",\"bundle\":\"/b\",\"pid\":1,\"status\":\"dancing\"}",
		"{\"id\":\"a\",\"bundle\":7,\"pid\":1,\"status\":\"running\"}",
		"{\"id\":\"a\",\"bundle\":\"/b\",\"pid\":1,\"status\":\"running\",\"uuid\":\"0123456789012345678901234567890123456789\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spore_err_clear(&e);
		ok(spore_runc_state_parse(bad[i], strlen(bad[i]), &back, &e) == -EINVAL && e.code,
		   "rejected state %zu (%s)", i, e.msg);
		spore_runc_state_free(&back);
	}
	free(text);
	spore_runc_state_free(&st);
}

static void files(void)
{
	char dir[] = "/tmp/spore-runc-test.XXXXXX", root[64], path[128], buf[32];
	struct spore_runc_state st = sample(), back;
	struct spore_err e = {0};
	struct stat sb;
	int fd;
	ssize_t n;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(root, sizeof(root), "%s/a/b", dir);
	is_int(spore_runc_state_read(root, "c1", &back, &e), -ENOENT, "no root: does not exist");
	ok(strstr(e.msg, "container c1 does not exist") != NULL, "says so (%s)", e.msg);
	is_int(spore_runc_state_claim(root, "c1", &e), 0, "claim makes the root and the id's dir");
	spore_err_clear(&e);
	is_int(spore_runc_state_claim(root, "c1", &e), -EEXIST, "a second claim fails");
	ok(strstr(e.msg, "already exists") != NULL, "already exists (%s)", e.msg);
	is_int(spore_runc_state_read(root, "c1", &back, &e), -ENOENT, "claimed, no state yet");
	is_int(spore_runc_state_write(root, &st, &e), 0, "write");
	is_int(spore_runc_state_read(root, "c1", &back, &e), 0, "read");
	ok(back.pid == 4242 && !strcmp(back.uuid, st.uuid), "what was written");
	spore_runc_state_free(&back);
	snprintf(path, sizeof(path), "%s/c1/state.json", root);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "state file 0600");
	is_int(spore_runc_state_read(root, "../c1", &back, &e), -ENOENT, "a bad id does not exist");
	st.status = SPORE_RUNC_STOPPED;
	is_int(spore_runc_state_write(root, &st, &e), 0, "rewrite");
	is_int(spore_runc_state_read(root, "c1", &back, &e), 0, "read again");
	is_int(back.status, SPORE_RUNC_STOPPED, "the new status");
	spore_runc_state_free(&back);
	is_int(spore_runc_state_remove(root, "c1", &e), 0, "remove");
	snprintf(path, sizeof(path), "%s/c1", root);
	ok(stat(path, &sb) < 0 && errno == ENOENT, "directory gone");
	is_int(spore_runc_state_remove(root, "c1", &e), 0, "remove again: still 0");

	snprintf(path, sizeof(path), "%s/init.pid", dir);
	is_int(spore_runc_pidfile_write(path, 12345, &e), 0, "pid file");
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ok(n == 5 && !memcmp(buf, "12345", 5), "the pid and no newline");
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	ok(rmdir(dir) == 0, "no temp file left behind");
	spore_runc_state_free(&st);
}

static void pids(void)
{
	uint64_t me = spore_runc_pid_start(getpid());
	pid_t child;
	int status;

	ok(me > 0, "our own start time");
	ok(spore_runc_pid_alive(getpid(), me), "we are alive");
	ok(!spore_runc_pid_alive(getpid(), me + 1), "a recycled pid is not ours");
	ok(!spore_runc_pid_alive(0, 0) && !spore_runc_pid_alive(-1, 0), "no pid 0 or -1");
	child = fork();
	if (child == 0)
		_exit(3);
	/* A zombie: exited, its status not yet collected. */
	while (spore_runc_pid_start(child) != 0)
		usleep(1000);
	ok(kill(child, 0) == 0, "the zombie still answers kill(0)");
	ok(!spore_runc_pid_alive(child, 0), "but is not alive");
	waitpid(child, &status, 0);
	ok(!spore_runc_pid_alive(child, 0), "reaped: gone");
}

int main(void)
{
	ids();
	statuses();
	codec();
	files();
	pids();
	return tap_done();
}
