#include "core/json_text.h"

#include "core/utf8.h"

bool json_text_has_nul(const char *p, size_t len) {
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (ch == 0) return true;
        if (!in_string) {
            in_string = ch == '"';
            continue;
        }
        if (ch == '"') {
            in_string = false;
        } else if (ch == '\\' && i + 1 < len) {
            /* An escape: only \uXXXX can spell NUL; any other escaped character is skipped so
             * that "\\u0000" (a backslash, then text) is not mistaken for one. */
            if (p[i + 1] == 'u' && i + 5 < len && p[i + 2] == '0' && p[i + 3] == '0' && p[i + 4] == '0' &&
                p[i + 5] == '0')
                return true;
            i++;
        }
    }
    return false;
}

const char *json_text_problem(const char *p, size_t len) {
    if (json_text_has_nul(p, len)) return "a NUL character";
    if (!utf8_valid(p, len)) return "invalid UTF-8";
    return NULL;
}
