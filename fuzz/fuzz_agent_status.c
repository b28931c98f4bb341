/* Fuzz agent.status messages (untrusted NATS input): agent_status_parse and the RFC 3339
 * parser it uses. Properties: no crash, no read past len; an accepted report names a status an
 * agent may report and a timestamp that parses; agent_status_parse_time on any NUL-terminated
 * text terminates and never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/agent_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    agent_report r;
    char err[256];
    if (agent_status_parse(data, size, &r, err, sizeof err) == 0) {
        if (r.to != JOB_RUNNING && r.to != JOB_COMPLETED && r.to != JOB_FAILED) abort();
        if (memchr(r.output_cid, 0, sizeof r.output_cid) == NULL) abort();
        if (memchr(r.error, 0, sizeof r.error) == NULL) abort();
    } else if (memchr(err, 0, sizeof err) == NULL) {
        abort();
    }
    /* The time parser alone, on the input as a C string. */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    int64_t t;
    (void)agent_status_parse_time(s, &t);
    free(s);
    return 0;
}
