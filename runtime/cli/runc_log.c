/* The --log file: containerd shows the last {"level":"error","msg":...}
 * line it finds there when a call fails; the text format is logrus's, as
 * runc writes it. */
#include "runc_cli.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void runc_log_line(const struct runc_ctx *c, const char *level, const char *msg)
{
	char when[40], *line = NULL, *quoted = NULL;
	time_t t = time(NULL);
	struct tm tm;
	json_t *o;
	int fd;

	if (!c || !c->log)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->log_json) {
		/* jansson escapes what a terminal or a parser would choke on. */
		o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", when);
		line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
	} else {
		o = json_string(msg);
		quoted = o ? json_dumps(o, JSON_ENCODE_ANY) : NULL;
		json_decref(o);
		if (quoted && asprintf(&line, "time=\"%s\" level=%s msg=%s", when, level, quoted) < 0)
			line = NULL;
	}
	fd = line ? open(c->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd >= 0) {
		/* One write: concurrent writers' lines do not interleave. */
		size_t n = strlen(line);
		line[n] = '\n';
		if (write(fd, line, n + 1) < 0) {
			/* Nothing else to tell: stderr already has the message. */
		}
		line[n] = 0;
		close(fd);
	}
	free(quoted);
	free(line);
}
