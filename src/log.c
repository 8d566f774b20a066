/* log.c: logging to stderr, with journald "<N>" priorities when
 * stderr is the journal (JOURNAL_STREAM set by systemd). */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_prog = "teardownd";	/* prefix when not under journald */
static int log_verbose;				/* print debug lines */
static int log_journal;				/* prefix "<N>" priorities */
static size_t log_progress_len;			/* a progress line this long is shown */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;	/* the writer
						 * thread logs too: whole lines */

/* Whether stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names, as
 * systemd documents: a child whose stderr went elsewhere inherits the
 * variable but must not prefix priorities. */
static int
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (v == NULL || sscanf(v, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(2, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* Sets the program name and verbosity. */
void
log_init(const char *progname, int verbose)
{
	log_prog = progname;
	log_verbose = verbose;
	log_journal = stderr_is_journal();
}

/* Shows text as the progress line, over the one before. */
void
log_progress(const char *text)
{
	size_t n = strlen(text);

	pthread_mutex_lock(&log_mu);
	fprintf(stderr, "\r%s", text);
	if (n < log_progress_len)	/* blank the rest of a longer one */
		fprintf(stderr, "%*s\r%s", (int)(log_progress_len - n), "", text);
	log_progress_len = n;
	pthread_mutex_unlock(&log_mu);
}

/* log_progress_clear, with log_mu held. */
static void
progress_clear_locked(void)
{
	if (log_progress_len == 0)
		return;
	fprintf(stderr, "\r%*s\r", (int)log_progress_len, "");
	log_progress_len = 0;
}

/* Blanks the progress line, if one is shown, and goes back to its start. */
void
log_progress_clear(void)
{
	pthread_mutex_lock(&log_mu);
	progress_clear_locked();
	pthread_mutex_unlock(&log_mu);
}

/* Writes one line at priority pri, with strerror(err) appended if err;
 * a progress line goes first (the next one shows it again). */
static void
log_vline(int pri, int err, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	pthread_mutex_lock(&log_mu);
	progress_clear_locked();
	if (log_journal)
		fprintf(stderr, "<%d>", pri);
	else
		fprintf(stderr, "%s: ", log_prog);
	if (err)
		fprintf(stderr, "%s: %s\n", buf, strerror(err));
	else
		fprintf(stderr, "%s\n", buf);
	pthread_mutex_unlock(&log_mu);
}

/* A warning with strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, err, fmt, ap);
	va_end(ap);
	errno = err;
}

/* A warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

/* Information. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Debugging, only with -v. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Logs with strerror(errno) and exits with code. */
void
fatal(int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(code);
}

/* Logs and exits with code. */
void
fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(code);
}
