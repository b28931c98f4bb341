/* cache — GET responses served from memory until the data they read changes (see cache.c). */
#ifndef LAMDA_API_CACHE_H
#define LAMDA_API_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_CACHE_ETAG_LEN 40 /* "\"" + 16 hex + "-" + up to 16 hex + "\"" + NUL */

typedef struct api_cache api_cache;
/* A stored body, shared by its entry and the responses still sending it: an entry dropped
 * while a slow client reads its body frees the bytes when that response is done. */
typedef struct api_cache_body api_cache_body;

typedef struct {
    const char *body; /* valid until api_cache_release(ref) */
    size_t len;
    const char *content_type;
    char etag[API_CACHE_ETAG_LEN];
    api_cache_body *ref; /* the caller's reference to the bytes */
} api_cache_hit;

/* NULL (no caching) when max_bytes or ttl_ms is 0, or memory runs out. */
api_cache *api_cache_new(size_t max_bytes, uint64_t ttl_ms);
void api_cache_free(api_cache *c);
/* A strong ETag of body, quotes included. */
void api_cache_etag(const void *body, size_t len, char out[API_CACHE_ETAG_LEN]);
/* The entry of key if it was stored under this generation less than the TTL ago, with a
 * reference to its bytes (not a copy: a hit sends them as they are) that the caller gives back
 * with api_cache_release. False on a miss (an outdated entry is dropped). */
bool api_cache_get(api_cache *c, const char *key, size_t klen, int64_t generation, uint64_t now_ms,
                   api_cache_hit *out);
void api_cache_release(api_cache_body *b);
/* Store a copy (replacing key's entry), evicting the least recently used past the byte cap.
 * Returns the bytes the cache holds now (for the gauge, without a second lock). */
size_t api_cache_put(api_cache *c, const char *key, size_t klen, int64_t generation, uint64_t now_ms,
                     const char *body, size_t len, const char *content_type, const char etag[API_CACHE_ETAG_LEN]);
void api_cache_stats(api_cache *c, size_t *bytes, size_t *entries);
/* Drop every expired entry (an idle server keeps nothing it would not serve). */
void api_cache_sweep(api_cache *c, uint64_t now_ms);

#endif
