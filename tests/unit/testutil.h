/* testutil.h: what every cmocka unit test includes. */
#ifndef TEARDOWND_TESTUTIL_H
#define TEARDOWND_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#endif
