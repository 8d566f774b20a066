/* log.h: the one logging API. Lines go to stderr; under journald
 * ($JOURNAL_STREAM set) each carries a "<N>" syslog priority prefix. */
#ifndef TEARDOWND_LOG_H
#define TEARDOWND_LOG_H

/* Sets the program name and verbosity (debug lines only when verbose). */
void log_init(const char *progname, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress line on a terminal, rewritten in place; any log line blanks
 * it first, so the line starts at the left margin. */
void log_progress(const char *text);
void log_progress_clear(void);
/* Start-up only: log and exit with code. fatal adds strerror(errno). */
void fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
