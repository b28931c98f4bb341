/* err — the house error convention (docs/CONTRIBUTING.md, "Code conventions"): a function that
 * fails fills the caller's `char *err, size_t errlen` with a message and returns -1. */
#ifndef LAMDA_ERR_H
#define LAMDA_ERR_H

#include <stddef.h>

/* Format the message into err (nothing when err is NULL or errlen 0); returns -1. */
int err_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
