/* json_text — checks on untrusted JSON text made before it is parsed.
 *
 * cJSON decodes strings into NUL-terminated C strings, so a "\u0000" inside a string silently
 * cuts the value there: "Qm…\u0000<script>" would be read, signed and stored as the plain CID.
 * Nothing we accept has a NUL in it, so such text is refused whole, before parsing. Nor does
 * cJSON check UTF-8: raw invalid bytes would be stored and served back as invalid JSON. */
#ifndef LAMDA_JSON_TEXT_H
#define LAMDA_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when the text holds a NUL character: a raw 0 byte, or a \u0000 escape inside a string
 * (an escaped backslash followed by "u0000" is not one). */
bool json_text_has_nul(const char *p, size_t len);

/* NULL when the text may be parsed; otherwise why not ("a NUL character", "invalid UTF-8"). */
const char *json_text_problem(const char *p, size_t len);

#endif
