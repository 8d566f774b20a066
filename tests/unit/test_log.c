/* test_log.c: a log line never lands on the end of the progress line: the
 * line is blanked first and shown again by the next progress call; a
 * shorter progress line blanks what a longer one left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "log.h"

/* Runs f with stderr going to a file; returns what it wrote, malloc'd. */
static char *
captured(void (*f)(void))
{
	char path[256], *text;
	int saved, fd;
	long n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/stderr", tu_dir);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	fp = fopen(path, "w+");
	assert_non_null(fp);
	fd = fileno(fp);
	assert_true(dup2(fd, 2) == 2);
	f();
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	n = ftell(fp);
	assert_true(n >= 0);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	rewind(fp);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return text;
}

static void
progress_then_warning(void)
{
	log_init("teardownd", 0);
	log_progress("12/80 cases, 4/s, about 17 s left");
	log_warnx("a warning");
	log_progress("13/80 cases");
	log_progress("9/80");
	log_progress_clear();
	log_progress_clear();		/* none shown: nothing */
	log_warnx("after");
}

static void
a_log_line_starts_on_its_own_line(void **state)
{
	char *text = captured(progress_then_warning);

	(void)state;
	assert_string_equal(text,
	    "\r12/80 cases, 4/s, about 17 s left"
	    "\r                                 \r"	/* 33 blanks */
	    "teardownd: a warning\n"
	    "\r13/80 cases"
	    "\r9/80       \r9/80"			/* 7 blanks: the rest */
	    "\r    \r"
	    "teardownd: after\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_log_line_starts_on_its_own_line),
	};

	return cmocka_run_group_tests(tests, tu_scratch_setup,
	    tu_scratch_teardown);
}
