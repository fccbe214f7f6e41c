/* Output, status reporting and power off. Errors go to the console (fd 2)
 * as one line each; progress goes to the kernel log, which the console only
 * shows without "quiet", so an attached user sees nothing but the
 * container's own output. */
#include "init.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static void out(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);

	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}

static void klog(const char *prefix, const char *fmt, va_list ap)
{
	static int kmsg = -1;

	if (kmsg < 0)
		kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (kmsg >= 0)
		out(kmsg, prefix, fmt, ap);
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	klog("<6>sporeinit: ", fmt, ap);
	va_end(ap);
}

void trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	klog("<7>sporeinit: ", fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out(2, "sporeinit: warning: ", fmt, ap);
	va_end(ap);
}

void report(const char *status)
{
	if (xb_open() == 0 && xb_write("data/spore/exit-status", status) < 0)
		warn("cannot write the exit status to xenstore");
	say("exit-status %s", status);
}

_Noreturn void power_off(void)
{
	/* What the container and we wrote last may still be in the console's
	 * tty buffer, not yet in the ring dom0 reads: wait for it, but at most
	 * 2 s (not tcdrain: a console nobody reads must not keep the guest up). */
	int queued;
	for (int i = 0; i < 200 && ioctl(STDOUT_FILENO, TIOCOUTQ, &queued) == 0 && queued > 0; i++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	/* The kernel's "reboot: System halted" (an emergency-level line) is
	 * not the container's output. */
	int fd = open("/proc/sys/kernel/printk", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0\n", 2) < 0)
			warn("cannot quiet the kernel's console messages");
		close(fd);
	}
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

_Noreturn void die(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Single line whatever the cause said, so dom0 can show it as is. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	dprintf(2, "sporeinit: error: %s\n", msg);
	if (xb_open() == 0)
		xb_write("data/spore/error", msg);
	report("error");
	power_off();
}
