#include <spore/log.h>
#include <spore/err.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "spore";
static int log_level = -1; /* -1: not read from the environment yet */
static int log_syslog;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int spore_log_parse_level(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "warning") == 0)
		return SPORE_LOG_WARN;
	return -1;
}

static void log_read_env(void)
{
	int lvl = spore_log_parse_level(getenv("SPORE_LOG"));
	log_level = lvl < 0 ? SPORE_LOG_WARN : lvl;
}

void spore_log_init(const char *progname)
{
	const char *slash = progname ? strrchr(progname, '/') : NULL;
	if (progname)
		log_prog = slash ? slash + 1 : progname;
	log_read_env();
}

void spore_log_set_level(enum spore_log_level level)
{
	log_level = level;
}

enum spore_log_level spore_log_get_level(void)
{
	if (log_level < 0)
		log_read_env();
	return log_level;
}

void spore_log_use_syslog(int on)
{
	log_syslog = on;
	if (on)
		openlog(log_prog, LOG_PID, LOG_DAEMON);
}

void spore_vlog(enum spore_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
	char line[2048];

	if ((int)level < (int)spore_log_get_level())
		return;
	char shown[sizeof(line) * 4];
	vsnprintf(line, sizeof(line), fmt, ap);
	spore_printable(line, shown, sizeof(shown)); /* lines carry names guests and images chose */
	if (log_syslog) {
		syslog(prio[level], "%s", shown);
		return;
	}
	/* One write per line so concurrent writers do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], shown);
}

void spore_log(enum spore_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	spore_vlog(level, fmt, ap);
	va_end(ap);
}
