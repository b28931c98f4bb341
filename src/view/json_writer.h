/* json_writer — JSON text straight into one growing buffer, for responses that are lists of
 * rows (a jobs page is ~2,000 values; building a cJSON tree for it cost more than the query).
 * The output is byte for byte what cJSON_PrintUnformatted prints for the same values: strings
 * escaped the same way (quote, backslash and control characters; other valid UTF-8 as it is),
 * numbers as cJSON prints a double. */
#ifndef LAMDA_VIEW_JSON_WRITER_H
#define LAMDA_VIEW_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

typedef strbuf view_jw; /* oom set: an allocation failed and the text is incomplete */

void view_jw_init(view_jw *w, size_t hint);
void view_jw_free(view_jw *w);
void view_jw_raw(view_jw *w, const char *s, size_t n);
#define VIEW_JW_LIT(w, s) view_jw_raw((w), (s), sizeof(s) - 1)
void view_jw_str(view_jw *w, const char *s);     /* quoted and escaped */
void view_jw_opt_str(view_jw *w, const char *s); /* null when NULL or "" */
void view_jw_int(view_jw *w, int64_t v);
/* RFC 3339 string; t <= 0 is null when null_when_zero, else "". */
void view_jw_time(view_jw *w, int64_t t, bool null_when_zero);
/* Writes one object (the view_*_write functions, as this type) into w. */
typedef void (*view_write_fn)(view_jw *w, const void *obj);
/* n rows of size bytes each, written by write and separated by commas (no brackets). */
void view_jw_rows(view_jw *w, const void *rows, size_t size, int n, view_write_fn write);

/* RFC 3339 UTC with whole seconds ("2024-05-01T12:00:00Z"), "" for t <= 0. */
void view_fmt_time(int64_t unix_s, char out[32]);

#endif
