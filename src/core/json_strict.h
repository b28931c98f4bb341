/* json_strict — the one strictness rule for JSON request bodies, on HTTP and NATS alike:
 *
 *   - the text passes json_text_problem (UTF-8, no NUL);
 *   - it is exactly one JSON object, with nothing but whitespace after it ("{}x" is refused:
 *     cJSON_ParseWithLength alone stops at the end of the first value and ignores the rest);
 *   - every member is a known field (a misspelt "limt" is an error, not a silent default).
 *
 * Field types are the caller's to check, with no coercion: a number is a JSON number, a
 * boolean a JSON boolean ("100" and "true" as strings are refused where a number or boolean
 * is expected). */
#ifndef LAMDA_JSON_STRICT_H
#define LAMDA_JSON_STRICT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parse p[0..len) as above. known: NULL-terminated list of field names, or NULL to accept any
 * member. Returns the object (caller frees with cJSON_Delete), or NULL with the reason in err:
 * "a NUL character", "invalid UTF-8", "expected a JSON object", "data after the JSON object",
 * "unknown field \"<name>\"". */
cJSON *json_strict_object(const char *p, size_t len, const char *const *known, char *err, size_t errlen);

/* The first member of o whose name is not in known (NULL-terminated), or NULL. */
const cJSON *json_strict_unknown(const cJSON *o, const char *const *known);

#endif
