#include "core/json_strict.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"

const cJSON *json_strict_unknown(const cJSON *o, const char *const *known) {
    for (const cJSON *it = o ? o->child : NULL; it; it = it->next) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++) ok = it->string && !strcmp(*k, it->string);
        if (!ok) return it;
    }
    return NULL;
}

cJSON *json_strict_object(const char *p, size_t len, const char *const *known, char *err, size_t errlen) {
    const char *bad = json_text_problem(p, len);
    if (bad) {
        snprintf(err, errlen, "%s", bad);
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(err, errlen, "expected a JSON object");
        return NULL;
    }
    for (const char *q = end ? end : p + len; q < p + len; q++)
        if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t') {
            cJSON_Delete(o);
            snprintf(err, errlen, "data after the JSON object");
            return NULL;
        }
    const cJSON *u = known ? json_strict_unknown(o, known) : NULL;
    if (u) {
        snprintf(err, errlen, "unknown field \"%.64s\"", u->string ? u->string : "");
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
