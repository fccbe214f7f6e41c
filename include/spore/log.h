/* Logging: one small module for every spore binary.
 *
 * The level comes from SPORE_LOG=debug|info|warn|error (default warn) the
 * first time anything is logged. Messages go to stderr, prefixed with the
 * program name set by spore_log_init(). */
#ifndef SPORE_LOG_H
#define SPORE_LOG_H

#include <stdarg.h>

enum spore_log_level {
	SPORE_LOG_DEBUG = 0,
	SPORE_LOG_INFO,
	SPORE_LOG_WARN,
	SPORE_LOG_ERROR,
};

/* Sets the prefix and reads SPORE_LOG. Safe to skip (prefix "spore"). */
void spore_log_init(const char *progname);
/* Parses a level name; returns -1 for an unknown name. */
int spore_log_parse_level(const char *name);
void spore_log_set_level(enum spore_log_level level);
enum spore_log_level spore_log_get_level(void);
/* Sends log lines to syslog instead of stderr (daemons). */
void spore_log_use_syslog(int on);

void spore_log(enum spore_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void spore_vlog(enum spore_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_debug(...) spore_log(SPORE_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  spore_log(SPORE_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  spore_log(SPORE_LOG_WARN, __VA_ARGS__)
#define log_error(...) spore_log(SPORE_LOG_ERROR, __VA_ARGS__)

#endif
