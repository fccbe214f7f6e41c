/* spored's /metrics (service/metrics/): the exposition format's escaping
 * and HELP/TYPE lines (expo.c), the page's families, counters and gauges
 * (render.c), checked by a strict parser of the text format 0.0.4 written
 * here; the HTTP responder's pure parts (http.c). */
#include "tap.h"
#include "expo.h"
#include "http.h"
#include "launch_hist.h"
#include "render.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static bool is_name(const char *s, size_t n, bool colon)
{
	if (!n || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && !(colon && s[i] == ':'))
			return false;
	return true;
}

static bool is_float(const char *s)
{
	char *end;
	if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf"))
		return true;
	if (!*s || isspace((unsigned char)*s))
		return false;
	strtod(s, &end);
	return !*end;
}

/* A strict reader of the text format: every family has HELP then TYPE
 * before its samples, which are contiguous and carry its name; label
 * names valid, values with only \\ \" \n escapes and nothing outside
 * printable ASCII; values floats; each series once; the text ends with a
 * newline. Returns the number of samples, -line on the first bad line. */
static int parse_strict(const char *text, char fams[][64], char types[][16], int *nfam)
{
	static char series[256][1024];
	char cur[64] = "";
	int nseries = 0, line = 0, samples = 0;
	bool help_seen = false;
	const char *p = text;

	*nfam = 0;
	if (!*text || text[strlen(text) - 1] != '\n')
		return -1;
	while (*p) {
		const char *eol = strchr(p, '\n');
		char l[1024];
		size_t n = (size_t)(eol - p);
		line++;
		if (n >= sizeof(l))
			return -line;
		memcpy(l, p, n);
		l[n] = '\0';
		p = eol + 1;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] >= 0x7f)
				return -line;
		if (!strncmp(l, "# HELP ", 7)) {
			char *sp = strchr(l + 7, ' ');
			if (!sp || !is_name(l + 7, (size_t)(sp - l - 7), true) || help_seen)
				return -line;
			for (char *c = sp + 1; *c; c++)
				if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
					return -line;
				else if (*c == '\\')
					c++;
			*sp = '\0';
			for (int f = 0; f < *nfam; f++)
				if (!strcmp(fams[f], l + 7))
					return -line; /* a family twice */
			if (strlen(l + 7) >= sizeof(cur))
				return -line;
			memcpy(cur, l + 7, strlen(l + 7) + 1);
			help_seen = true;
			continue;
		}
		if (!strncmp(l, "# TYPE ", 7)) {
			char *sp = strchr(l + 7, ' ');
			if (!sp || !help_seen || strncmp(l + 7, cur, strlen(cur)) ||
			    (size_t)(sp - l - 7) != strlen(cur) ||
			    (strcmp(sp + 1, "counter") && strcmp(sp + 1, "gauge") &&
			     strcmp(sp + 1, "histogram")))
				return -line;
			snprintf(fams[*nfam], 64, "%s", cur);
			snprintf(types[(*nfam)++], 16, "%s", sp + 1);
			help_seen = false;
			continue;
		}
		if (l[0] == '#' || help_seen || !*nfam)
			return -line;
		/* A sample of the current family (a histogram's: its name with
		 * _bucket, which has the label le last, _sum or _count). */
		size_t nl = strcspn(l, "{ ");
		bool hist = !strcmp(types[*nfam - 1], "histogram"), bucket = false;
		if (nl < strlen(cur) || strncmp(l, cur, strlen(cur)))
			return -line;
		if (hist) {
			const char *suf = l + strlen(cur);
			size_t sl = nl - strlen(cur);
			bucket = sl == 7 && !strncmp(suf, "_bucket", 7);
			if (!bucket && !(sl == 4 && !strncmp(suf, "_sum", 4)) &&
			    !(sl == 6 && !strncmp(suf, "_count", 6)))
				return -line;
		} else if (nl != strlen(cur)) {
			return -line;
		}
		const char *le = strstr(l, ",le=\"");
		if (bucket != (le && le < l + strcspn(l, " ") && strstr(le, "\"} ") ==
					strchr(le + 5, '"')))
			return -line;
		char *c = l + nl;
		if (*c == '{') {
			c++;
			for (;;) {
				char *eq = strchr(c, '=');
				if (!eq || !is_name(c, (size_t)(eq - c), false) || eq[1] != '"')
					return -line;
				c = eq + 2;
				while (*c && *c != '"') {
					if (*c == '\\' && c[1] != '\\' && c[1] != 'n' && c[1] != '"')
						return -line;
					c += *c == '\\' ? 2 : 1;
				}
				if (*c != '"')
					return -line;
				c++;
				if (*c == '}')
					break;
				if (*c != ',')
					return -line;
				c++;
			}
			c++;
		}
		if (*c != ' ' || !is_float(c + 1))
			return -line;
		*c = '\0';
		for (int s = 0; s < nseries; s++)
			if (!strcmp(series[s], l))
				return -line;
		if (nseries < 256)
			snprintf(series[nseries++], sizeof(series[0]), "%s", l);
		samples++;
	}
	return help_seen ? -line : samples;
}

static char *render(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void page(FILE *f, const void *arg)
{
	metrics_render(f, arg);
}

static void escaped(FILE *f, const void *arg)
{
	(void)arg;
	struct expo_label l[] = {{"name", "a\"b\\c\nd\te\xc3\xa9"}, {"id", ""}};
	expo_family(f, "x_total", EXPO_COUNTER, "back\\slash and\nnewline \"quoted\"");
	expo_u64(f, "x_total", l, 2, 18446744073709551615ull);
	expo_family(f, "y_seconds_total", EXPO_COUNTER, "h");
	expo_ns_as_seconds(f, "y_seconds_total", NULL, 0, 1500000001ull);
}

static const char *find_line(const char *text, const char *start)
{
	static char out[512];
	const char *p = text;
	size_t n = strlen(start);
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		if (!strncmp(p, start, n)) {
			snprintf(out, sizeof(out), "%.*s", (int)(eol - p), p);
			return out;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static int fake_page(void *arg, FILE *f, struct spore_err *err)
{
	(void)err;
	++*(int *)arg;
	fputs("# HELP a h\n# TYPE a gauge\na 1\n", f);
	return 0;
}

static int client(int port, const char *send_)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	if (send_ && write(fd, send_, strlen(send_)) < 0)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Turns spored's loop (the responder's part of it) until fd has an
 * answer, closed by the responder; at most a bounded number of turns. */
static const char *turn_until_answered(struct httpd *h, int fd)
{
	static char got[8192];
	size_t n = 0;
	for (int i = 0; i < 200; i++) {
		struct pollfd p[HTTP_MAX_CONNS + 1];
		int timeout = 20;
		size_t k = httpd_pollfds(h, p, HTTP_MAX_CONNS + 1, &timeout);
		poll(p, k, timeout > 20 || timeout < 0 ? 20 : timeout);
		httpd_polled(h, p, k);
		ssize_t r = read(fd, got + n, sizeof(got) - 1 - n);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	got[n] = '\0';
	return got;
}

/* The responder on a real loopback socket: a client that sends half a
 * request does not keep another from its answer, nor does one that says
 * nothing hold a slot past the others; other paths and methods, and an
 * oversized request, get their statuses. */
static void responder(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), pages = 0;
	char addr[32], big[HTTP_MAX_REQ + 16];
	struct httpd *h = NULL;
	struct spore_err err = {0};

	/* A free port: the kernel's choice, let go just before use. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &len);
	close(s);
	int port = ntohs(a.sin_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	is_int(httpd_open(&h, addr, fake_page, &pages, &err), 0, "responder: listening on %s", addr);
	if (!h)
		return;
	int slow = client(port, "GET /metr"), mute = client(port, NULL);
	int good = client(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	const char *r = turn_until_answered(h, good);
	ok(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17) &&
		   strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
		   strstr(r, "Content-Length: 30\r\n") && strstr(r, "\r\n\r\n# HELP a h\n"),
	   "GET /metrics answered (200, type, length, the page) while a client sent half a "
	   "request and another nothing");
	is_int(pages, 1, "... the page built once");
	close(good);
	int c = client(port, "GET /other HTTP/1.1\r\n\r\n");
	ok(!strncmp(turn_until_answered(h, c), "HTTP/1.1 404 ", 13), "another path: 404");
	close(c);
	c = client(port, "DELETE /metrics HTTP/1.1\n\n");
	r = turn_until_answered(h, c);
	ok(!strncmp(r, "HTTP/1.1 405 ", 13) && strstr(r, "Allow: GET\r\n"),
	   "DELETE: 405 with Allow (bare \\n line ends accepted)");
	close(c);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /", 5);
	c = client(port, big);
	ok(!strncmp(turn_until_answered(h, c), "HTTP/1.1 431 ", 13),
	   "a request past %d bytes: 431", HTTP_MAX_REQ);
	close(c);
	c = client(port, "\x01\x02\r\n\r\n");
	ok(!strncmp(turn_until_answered(h, c), "HTTP/1.1 400 ", 13), "garbage: 400");
	close(c);
	is_int(pages, 1, "no page built for those");
	close(slow);
	close(mute);
	httpd_free(h);
}

static void hist_page(FILE *f, const void *arg)
{
	launch_hist_render(f, arg);
}

static void hist_file(FILE *f, const void *arg)
{
	launch_hist_encode(f, arg);
}

/* The launch histogram: its exact text for one failed launch; cumulative
 * buckets, a bound's own value in its bucket, series per step and result
 * seen; its file's text read back, anything else refused. */
static void launch_histogram(char fams[][64], char types[][16])
{
	static struct launch_hist h;
	struct spore_svc_launched failed = {.failed = 1, .reached = 1 << SPORE_LAUNCH_IMAGE,
					    .ns = {[SPORE_LAUNCH_IMAGE] = 1500000000ull},
					    .total_ns = 1500000000ull};
	int nfam;

	char *t = render(hist_page, &h);
	is_str(t, "", "histogram: no launch, no family");
	free(t);
	launch_hist_observe(&h, &failed);
	t = render(hist_page, &h);
#define B(step, le, n) \
	"spore_launch_duration_seconds_bucket{step=\"" step "\",result=\"failed\",le=\"" le "\"} " n "\n"
#define SERIES(step)                                                                             \
	B(step, "0.01", "0") B(step, "0.025", "0") B(step, "0.05", "0") B(step, "0.1", "0")       \
	B(step, "0.25", "0") B(step, "0.5", "0") B(step, "1", "0") B(step, "2.5", "1")            \
	B(step, "5", "1") B(step, "10", "1") B(step, "30", "1") B(step, "60", "1")                \
	B(step, "+Inf", "1")                                                                      \
	"spore_launch_duration_seconds_sum{step=\"" step "\",result=\"failed\"} 1.500000000\n" \
	"spore_launch_duration_seconds_count{step=\"" step "\",result=\"failed\"} 1\n"
	is_str(t,
	       "# HELP spore_launch_duration_seconds Time a launch took (sporectl's measure), by "
	       "phase and in total, launches that failed included\n"
	       "# TYPE spore_launch_duration_seconds histogram\n" SERIES("image") SERIES("total"),
	       "histogram: one failed launch that reached the image step, exactly");
#undef SERIES
#undef B
	free(t);

	/* A launch that ran: its phases at a bound (50 ms), between bounds,
	 * past the last. */
	struct spore_svc_launched ran = {
		.reached = 1 << SPORE_LAUNCH_IMAGE | 1 << SPORE_LAUNCH_BUILD | 1 << SPORE_LAUNCH_BOOT,
		.ns = {[SPORE_LAUNCH_IMAGE] = 50000000ull, [SPORE_LAUNCH_BUILD] = 300000000ull,
		       [SPORE_LAUNCH_BOOT] = 61000000000ull},
		.total_ns = 61350000000ull};
	launch_hist_observe(&h, &ran);
	launch_hist_observe(&h, &ran);
	t = render(hist_page, &h);
	/* (image, build, boot, total) ok + (image, total) failed, 15 lines each */
	is_int(parse_strict(t, fams, types, &nfam), 6 * 15, "histogram: parses strictly");
	is_str(find_line(t, "spore_launch_duration_seconds_bucket{step=\"image\",result=\"ok\",le=\"0.05\""),
	       "spore_launch_duration_seconds_bucket{step=\"image\",result=\"ok\",le=\"0.05\"} 2",
	       "a bound's own value counts in its bucket (le)");
	is_str(find_line(t, "spore_launch_duration_seconds_bucket{step=\"image\",result=\"ok\",le=\"0.025\""),
	       "spore_launch_duration_seconds_bucket{step=\"image\",result=\"ok\",le=\"0.025\"} 0",
	       "... not in the one below");
	is_str(find_line(t, "spore_launch_duration_seconds_bucket{step=\"boot\",result=\"ok\",le=\"60\""),
	       "spore_launch_duration_seconds_bucket{step=\"boot\",result=\"ok\",le=\"60\"} 0",
	       "past the last bound: not in le=60 ...");
	is_str(find_line(t, "spore_launch_duration_seconds_bucket{step=\"boot\",result=\"ok\",le=\"+Inf\""),
	       "spore_launch_duration_seconds_bucket{step=\"boot\",result=\"ok\",le=\"+Inf\"} 2",
	       "... in +Inf");
	is_str(find_line(t, "spore_launch_duration_seconds_sum{step=\"total\",result=\"ok\""),
	       "spore_launch_duration_seconds_sum{step=\"total\",result=\"ok\"} 122.700000000",
	       "the sum in seconds");
	ok(!find_line(t, "spore_launch_duration_seconds_count{step=\"bundle\""),
	   "a phase no launch reached has no series");
	free(t);

	/* Its file: read back to the same page; damaged, refused. */
	static struct launch_hist back;
	char *file = render(hist_file, &h), *page1 = render(hist_page, &h);
	is_int(launch_hist_decode(file, &back), 0, "file: read back");
	t = render(hist_page, &back);
	is_str(t, page1, "... to the same page");
	free(t);
	free(page1);
	const char *bad[] = {
		"",
		"spore-launch-histogram 2\n",
		"spore-launch-histogram 1\nimage ok 1 5 1 0 0 0 0 0 0 0 0 0 0 0 0\n", /* buckets 13 of 13: ok */
		"spore-launch-histogram 1\nimage ok 2 5 1 0 0 0 0 0 0 0 0 0 0 0 0\n", /* count 2, buckets 1 */
		"spore-launch-histogram 1\nimage ok 1 5 1 0 0 0 0 0 0 0 0 0 0 0\n",  /* a bucket short */
		"spore-launch-histogram 1\nimage ok 1 5 1 0 0 0 0 0 0 0 0 0 0 0 0",  /* no newline */
		"spore-launch-histogram 1\nboot maybe 1 5 1 0 0 0 0 0 0 0 0 0 0 0 0\n",
		"spore-launch-histogram 1\nnope ok 1 5 1 0 0 0 0 0 0 0 0 0 0 0 0\n",
		"spore-launch-histogram 1\nimage ok 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", /* empty series */
		"spore-launch-histogram 1\nimage ok 1 99999999999999999999 1 0 0 0 0 0 0 0 0 0 0 0 0\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(launch_hist_decode(bad[i], &back), i == 2 ? 0 : -EINVAL,
		       "file %zu %s", i, i == 2 ? "read" : "refused");
	char twice[256];
	snprintf(twice, sizeof(twice), "%s%s", bad[2], bad[2] + strlen("spore-launch-histogram 1\n"));
	is_int(launch_hist_decode(twice, &back), -EINVAL, "file: a series twice refused");
	ok(!back.s[0][0].count, "... and nothing kept of it");
	free(file);
}

int main(void)
{
	char fams[32][64], types[32][16];
	int nfam;

	/* The lexical rules. */
	char *t = render(escaped, NULL);
	is_int(parse_strict(t, fams, types, &nfam), 2, "escapes: the text parses strictly");
	is_str(find_line(t, "# HELP x_total"),
	       "# HELP x_total back\\\\slash and\\nnewline \"quoted\"",
	       "HELP: backslash and newline escaped, quotes left");
	is_str(find_line(t, "# TYPE x_total"), "# TYPE x_total counter", "TYPE after HELP");
	is_str(find_line(t, "x_total{"),
	       "x_total{name=\"a\\\"b\\\\c\\nd?e??\",id=\"\"} 18446744073709551615",
	       "label values: \\\" \\\\ \\n escaped, control and non-ASCII bytes as '?'; "
	       "a u64 exact");
	is_str(find_line(t, "y_seconds_total "), "y_seconds_total 1.500000001",
	       "nanoseconds as seconds, not rounded");
	free(t);

	/* The page: two running guests, one without devices or console, and
	 * an exited one that spored restarted twice. */
	struct metrics_guest g[3] = {
		{.uuid = "11111111-2222-3333-4444-555555555555", .name = "web", .running = true,
		 .restarts = 1, .cpu_ns = 2500000000ull, .mem = 64 << 20, .mem_limit = 128 << 20, .vcpus = 2,
		 .io = {.net_rx = 10, .net_tx = 20, .blk_read = 30, .blk_write = 40,
			.net = true, .blk = true},
		 .console = true, .console_bytes = 77},
		{.uuid = "66666666-7777-8888-9999-000000000000", .name = "q\"uote", .running = true,
		 .cpu_ns = 1, .mem = 4096, .mem_limit = 8192, .vcpus = 1},
		{.uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", .name = "crashy", .restarts = 2,
		 .cpu_ns = 5, .mem = 4096, .mem_limit = 8192, .vcpus = 1},
	};
	struct metrics_figures m = {.g = g, .n = 3, .consoles = 1};
	t = render(page, &m);
	int ns = parse_strict(t, fams, types, &nfam);
	/* 3 guests x restarts + 2 running x (cpu, mem, limit, vcpus) + 1 x (4 io
	 * + console) + 2 global */
	is_int(ns, 3 + 8 + 5 + 2, "the page parses strictly, every sample there");
	if (ns < 0)
		printf("# page:\n%s", t);
	int counters = 0, gauges = 0;
	for (int i = 0; i < nfam; i++) {
		size_t len = strlen(fams[i]);
		bool total = len > 6 && !strcmp(fams[i] + len - 6, "_total");
		if (!strcmp(types[i], "counter"))
			counters += total;
		else
			gauges += !total;
	}
	is_int(counters, 7,
	       "restarts, cpu, network x2, block x2, console: counters, named _total");
	is_int(gauges, 5, "memory, limit, vcpus, guests, consoles: gauges, not _total");
	is_int(nfam, 12, "no family but these");
	is_str(find_line(t, "spore_guest_restarts_total{name=\"crashy\""),
	       "spore_guest_restarts_total{name=\"crashy\",id=\"aaaaaaaa-bbbb-cccc-dddd-"
	       "eeeeeeeeeeee\"} 2",
	       "restarts of a guest that is not running (exited after its restarts)");
	is_str(find_line(t, "spore_guest_restarts_total{name=\"q"),
	       "spore_guest_restarts_total{name=\"q\\\"uote\",id=\"66666666-7777-8888-9999-"
	       "000000000000\"} 0",
	       "restarts 0 of a guest never restarted");
	ok(!find_line(t, "spore_guest_cpu_seconds_total{name=\"crashy\""),
	   "a guest not running has no CPU, memory or I/O samples");
	is_str(find_line(t, "spore_guest_cpu_seconds_total{name=\"web\""),
	       "spore_guest_cpu_seconds_total{name=\"web\",id=\"11111111-2222-3333-4444-"
	       "555555555555\"} 2.500000000",
	       "CPU seconds, labels name and id");
	is_str(find_line(t, "spore_guest_memory_limit_bytes{name=\"q\\\"uote\""),
	       "spore_guest_memory_limit_bytes{name=\"q\\\"uote\",id=\"66666666-7777-8888-9999-"
	       "000000000000\"} 8192",
	       "a name with a quote, escaped");
	ok(!find_line(t, "spore_guest_network_receive_bytes_total{name=\"q"),
	   "a guest without a network has no network samples");
	is_str(find_line(t, "spore_guest_console_bytes_total{"),
	       "spore_guest_console_bytes_total{name=\"web\",id=\"11111111-2222-3333-4444-"
	       "555555555555\"} 77",
	       "console bytes of the served console only");
	is_str(find_line(t, "spore_guests_running "), "spore_guests_running 2",
	       "guests running: the running ones only");
	free(t);

	m.n = 0;
	m.consoles = 0;
	t = render(page, &m);
	is_int(parse_strict(t, fams, types, &nfam), 2,
	       "no guests: only the spored-wide samples, no empty families");
	free(t);

	launch_histogram(fams, types);

	/* The strict parser itself refuses what it should. */
	is_int(parse_strict("a 1\n", fams, types, &nfam), -1, "parser: a sample before TYPE");
	is_int(parse_strict("# HELP a h\n# TYPE a gauge\na{x=\"\\t\"} 1\n", fams, types, &nfam),
	       -3, "parser: an unknown escape");
	is_int(parse_strict("# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\n"
			    "a 2\n", fams, types, &nfam),
	       -7, "parser: a family's samples apart");
	is_int(parse_strict("# HELP a h\n# TYPE a gauge\na 1\na 2\n", fams, types, &nfam), -4,
	       "parser: a series twice");
	is_int(parse_strict("# HELP a h\n# TYPE a gauge\na 1", fams, types, &nfam), -1,
	       "parser: no final newline");

	/* The responder's judgement of a request line. */
#define J(s) http_judge(s, strlen(s))
	is_int(J("GET /metrics HTTP/1.1"), 200, "GET /metrics");
	is_int(J("GET /metrics?x=1 HTTP/1.0"), 200, "GET /metrics with a query, HTTP/1.0");
	is_int(J("GET / HTTP/1.1"), 404, "another path: 404");
	is_int(J("GET /metricsx HTTP/1.1"), 404, "a longer path: 404");
	is_int(J("POST /metrics HTTP/1.1"), 405, "POST: 405");
	is_int(J("HEAD /metrics HTTP/1.1"), 405, "HEAD: 405");
	is_int(J("GET /metrics"), 400, "no version: 400");
	is_int(J("GET /metrics HTTP/2.0"), 400, "HTTP/2 text: 400");
	is_int(J("garbage"), 400, "garbage: 400");
	is_int(J(""), 400, "nothing: 400");

	struct sockaddr_storage ss;
	socklen_t len;
	is_int(http_parse_addr("127.0.0.1:9100", &ss, &len), 0, "address: IPv4:PORT");
	ok(ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in), "... an AF_INET one");
	is_int(http_parse_addr("[::1]:9100", &ss, &len), 0, "address: [IPv6]:PORT");
	ok(ss.ss_family == AF_INET6, "... an AF_INET6 one");
	const char *bad[] = {"127.0.0.1",   "127.0.0.1:",     "127.0.0.1:0", "127.0.0.1:65536",
			     ":9100",       "localhost:9100", "::1:9100",    "[::1:9100",
			     "1.2.3:9100", "127.0.0.1:+80",  "127.0.0.1:8x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(http_parse_addr(bad[i], &ss, &len), -EINVAL, "address '%s' refused", bad[i]);
	responder();
	return tap_done();
}
