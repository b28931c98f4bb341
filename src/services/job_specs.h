/* job_specs — `POST /api/jobs`: a renter tells the backend what a job runs.
 *
 * JobCreated carries no docker image or input CID, so the renter sends them to the API,
 * signed with the wallet that creates (or created) the job on chain:
 *
 *   body:      {"jobId":"0x<64 hex>","dockerImage":"<image ref>","inputFileCID":"<CID>",
 *               "signature":"0x<130 hex>"}
 *   signature: EIP-191 personal_sign over exactly these four lines (LF, no trailing LF):
 *                lamda:job-spec
 *                job:<jobId, 0x + 64 lowercase hex>
 *                image:<dockerImage>
 *                input:<inputFileCID>
 *
 * The spec binds to the job only when the recovered signer is the job's on-chain renter; it
 * may arrive before or after JobCreated. A second, different spec for the same job is refused
 * — except that the renter's own spec replaces one signed by someone else. */
#ifndef LAMDA_JOB_SPECS_H
#define LAMDA_JOB_SPECS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

/* The canonical message for (job id, image, cid) into out (cap bytes). Returns its length,
 * or -1 if it does not fit. */
int job_spec_message(const uint8_t job_id[32], const char *image, const char *cid, char *out, size_t cap);

/* Docker image reference syntax: [host[:port]/]path[:tag][@sha256:<64 hex>]. */
bool job_spec_image_valid(const char *s, size_t len);

/* POST /api/jobs (api_hooks.submit_job_spec, see api/api.h): verify and store the spec and, in
 * the same transaction, dispatch its job when the job is known. cfg gives the spec caps. */
int job_spec_submit(const lamda_config *cfg, store *s, const char *body, size_t len, char *err, size_t errlen,
                    int *http_status, cJSON **data);

#endif
