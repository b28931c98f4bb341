/* test.h — the unit-test framework: a file of TEST()s with a main() from TEST_MAIN.
 * Prints "ok - name" / "not ok - name" lines that tests/run.sh counts. A failed CHECK marks
 * the current test failed and goes on, so one run shows every broken assertion. */
#ifndef LAMDA_TEST_H
#define LAMDA_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_;
static int test_total_failed_;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
            test_failed_ = 1;                                                                \
        }                                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                   \
    do {                                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                                  \
        if (a_ != b_) {                                                                      \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                         \
            test_failed_ = 1;                                                                \
        }                                                                                    \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                   \
    do {                                                                                     \
        const char *a_ = (a), *b_ = (b);                                                     \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                             \
            fprintf(stderr, "  %s:%d: %s == %s failed:\n    \"%s\"\n    \"%s\"\n", __FILE__, \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
            test_failed_ = 1;                                                                \
        }                                                                                    \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define TEST(name) static void name(void)

#define RUN(name)                                                                            \
    do {                                                                                     \
        test_failed_ = 0;                                                                    \
        name();                                                                              \
        printf("%s - %s\n", test_failed_ ? "not ok" : "ok", #name);                          \
        fflush(stdout);                                                                      \
        test_total_failed_ += test_failed_;                                                  \
    } while (0)

#define TEST_EXIT() return test_total_failed_ ? 1 : 0

#endif
