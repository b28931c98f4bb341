/* json_writer — see json_writer.h. */
#include "view/json_writer.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"

void view_jw_init(view_jw *w, size_t hint) { strbuf_init(w, hint); }

void view_jw_free(view_jw *w) { strbuf_free(w); }

void view_jw_raw(view_jw *w, const char *s, size_t n) { strbuf_append(w, s, n); }

void view_jw_str(view_jw *w, const char *s) {
    static const char hexd[] = "0123456789abcdef";
    size_t n = strlen(s);
    if (!strbuf_reserve(w, n * 6 + 2)) return; /* worst case: every byte as \u00XX */
    char *o = w->p + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            /* Only valid UTF-8 goes out; a byte that starts none (a row stored before input
             * was checked) is written as U+FFFD. */
            size_t k = utf8_seq_len(s + i, n - i);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k - 1;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
            }
            continue;
        }
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        }
    }
    *o++ = '"';
    *o = 0;
    w->len = (size_t)(o - w->p);
}

void view_jw_opt_str(view_jw *w, const char *s) {
    if (s && *s) view_jw_str(w, s);
    else view_jw_raw(w, "null", 4);
}

void view_jw_int(view_jw *w, int64_t v) {
    /* cJSON holds numbers as doubles: integers below 2^53 print as their digits; beyond
     * 1e15 it switches to %g forms, so let cJSON itself print those rare values. */
    if (v > -1000000000000000LL && v < 1000000000000000LL) {
        char buf[24], *e = buf + sizeof buf, *o = e;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
            *--o = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) *--o = '-';
        view_jw_raw(w, o, (size_t)(e - o));
        return;
    }
    cJSON *n = cJSON_CreateNumber((double)v);
    char *t = n ? cJSON_PrintUnformatted(n) : NULL;
    if (t) view_jw_raw(w, t, strlen(t));
    else w->oom = true;
    cJSON_free(t);
    cJSON_Delete(n);
}

void view_jw_time(view_jw *w, int64_t t, bool null_when_zero) {
    char buf[32];
    view_fmt_time(t, buf);
    if (!*buf && null_when_zero) view_jw_raw(w, "null", 4);
    else view_jw_str(w, buf);
}

/* ---- RFC 3339 by hand ------------------------------------------------------------------------ */

static void put2(char *o, unsigned v) {
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Gregorian date of a day count since 1970-01-01 (day >= 0). Counting from 0000-03-01 puts
 * the leap day at the end of each year; a 400-year era has 146097 days. */
static void civil_date(int64_t day, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = day + 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                           /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                     /* March = 0 */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void view_fmt_time(int64_t t, char out[32]) {
    out[0] = '\0';
    if (t <= 0) return;
    if (t > 253402300799LL) { /* past 9999-12-31T23:59:59: the C library's long form */
        time_t tt = (time_t)t;
        struct tm tm;
        if (gmtime_r(&tt, &tm)) strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return;
    }
    int64_t y;
    unsigned mo, d, sec = (unsigned)(t % 86400);
    civil_date(t / 86400, &y, &mo, &d);
    unsigned yy = (unsigned)y;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, sec / 3600);
    out[13] = ':';
    put2(out + 14, sec / 60 % 60);
    out[16] = ':';
    put2(out + 17, sec % 60);
    out[19] = 'Z';
    out[20] = '\0';
}


void view_jw_rows(view_jw *w, const void *rows, size_t size, int n, view_write_fn write) {
    for (int i = 0; i < n; i++) {
        if (i) VIEW_JW_LIT(w, ",");
        write(w, (const char *)rows + (size_t)i * size);
    }
}
