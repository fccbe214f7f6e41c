/* sporeinit: PID 1 of a spore guest. Reads the launch bundle from its block
 * device, builds the container's root (image squashfs under a tmpfs
 * overlay), configures the network, runs the container, reports its exit
 * status to dom0 through xenstore and powers the guest off, whatever
 * happens. See container/README.md. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t bundle_buf[SPORE_BUNDLE_MAX_SIZE];
static struct spore_bundle bundle;

/* From the initrd (sporectl launch appends it there), else from its block
 * device (other toolstacks). */
static void read_bundle(void)
{
	const char *dev = "/" SPORE_BUNDLE_INITRD_FILE, *why = "";
	size_t got = 0, total = 0;
	int fd;

	if (access(dev, F_OK) < 0) {
		dev = "/dev/" SPORE_BUNDLE_DEV;
		if (wait_for(dev, DEV_TIMEOUT_MS) < 0)
			die("no launch bundle: neither /%s in the initrd nor device %s",
			    SPORE_BUNDLE_INITRD_FILE, dev);
	}
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", dev, strerror(errno));
	/* Header first, then exactly the bundle: the device is padded. */
	while (got < (total ? total : SPORE_BUNDLE_HDR_SIZE)) {
		ssize_t n = read(fd, bundle_buf + got, (total ? total : SPORE_BUNDLE_HDR_SIZE) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read %s: %s", dev, n < 0 ? strerror(errno) : "unexpected end of device");
		got += (size_t)n;
		if (!total && got >= SPORE_BUNDLE_HDR_SIZE &&
		    !(total = spore_bundle_peek(bundle_buf, got, &why)))
			die("bad launch bundle on %s: %s", dev, why);
	}
	close(fd);
	if (spore_bundle_decode(&bundle, bundle_buf, got, &why) < 0)
		die("bad launch bundle on %s: %s", dev, why);
}

static void report_exit(int st)
{
	char s[32];

	if (WIFSIGNALED(st))
		snprintf(s, sizeof(s), "signaled %d", WTERMSIG(st));
	else
		snprintf(s, sizeof(s), "exited %d", WEXITSTATUS(st));
	report(s);
}

int main(int argc, char **argv)
{
	struct userspec_ids ids;
	sigset_t set;
	pid_t child;
	int fd;

	if (getpid() != 1) {
		/* Never take down the machine it was started on by mistake. */
		fprintf(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"Usage: sporeinit (as PID 1 of a spore guest only)\n\n"
			"Reads the launch bundle from /dev/%s, mounts the image under an overlay,\n"
			"runs the container, reports its exit status in xenstore and powers off.\n",
			SPORE_BUNDLE_DEV);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}

	/* Signals are handled synchronously by supervise(); block them now so
	 * none is lost before it runs. */
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);

	early_mounts();
	say("started");
	/* Ctrl-Alt-Del and "reboot" requests become SIGINT for us instead of
	 * an instant reboot. */
	reboot(RB_DISABLE_CAD);
	/* The kernel runs poweroff_cmd on a "poweroff" request; make that a
	 * no-op so the container is stopped by us, gracefully. */
	fd = open("/proc/sys/kernel/poweroff_cmd", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "/proc/spore-none\n", 17) < 0)
			warn("cannot set kernel.poweroff_cmd");
		close(fd);
	}

	load_modules();
	if (xb_open() < 0 || xb_watch("control/shutdown", XB_STOP_TOKEN) < 0)
		warn("no xenstore access: stop requests and exit status will not reach dom0");

	read_bundle();
	say("bundle read: %u args, %u env", bundle.argc, bundle.envc);
	/* The network first: eth0 appears when netfront starts its
	 * handshake, the disk's node only once blkfront has finished its own. */
	setup_network(&bundle);
	trace("network configured");
	switch_to_image(&bundle);
	trace("root switched to the image");
	mount_volumes(&bundle);
	setup_identity(&bundle);
	trace("volumes and identity set");
	wait_network(&bundle);
	resolve_user(&bundle, &ids);
	make_workdir(&bundle);
	seal_root(&bundle);
	if (bundle.start_gate)
		wait_start_gate();

	exec_init(&bundle);
	child = start_container(&bundle, &ids);
	if (xb_fd() >= 0)
		xb_write("data/spore/state", "running");
	say("container started, pid %d", (int)child);
	int status = supervise(child, (int)bundle.stop_signal, bundle.stop_timeout);
	errout_finish();
	unmount_volumes(&bundle);
	report_exit(status);
	power_off();
}
