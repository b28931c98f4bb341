/* store_provider_changes — a batch's NodeReputation effects merged per provider in memory, so a
 * heartbeat-heavy batch (100,000 heartbeats of 10,000 providers) becomes one upsert per
 * provider, written set-based, instead of one statement per log. The merge rules are in
 * store.h (store_provider_change); they give exactly what the per-log upserts in log order
 * give. */
#include <stdlib.h>

#include "core/utf8.h"
#include "store/store_internal.h"

struct store_provider_changes {
    store_provider_change *v;
    size_t n, cap;
    uint32_t *slot; /* open addressing on the address: index + 1, 0 = empty */
    size_t nslots;  /* a power of two, at least twice n */
};

store_provider_changes *store_provider_changes_new(void) { return calloc(1, sizeof(store_provider_changes)); }

void store_provider_changes_free(store_provider_changes *ch) {
    if (!ch) return;
    free(ch->v);
    free(ch->slot);
    free(ch);
}

void store_provider_changes_clear(store_provider_changes *ch) {
    ch->n = 0;
    if (ch->slot) memset(ch->slot, 0, ch->nslots * sizeof *ch->slot);
}

/* FNV-1a over the 20 bytes: test and devnet addresses are often counters, so no subset of
 * the bytes can be trusted to vary. */
static size_t hash_addr(const uint8_t a[20]) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 20; i++) h = (h ^ a[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32));
}

static size_t find_slot(const store_provider_changes *ch, const uint8_t addr[20]) {
    size_t mask = ch->nslots - 1, i = hash_addr(addr) & mask;
    while (ch->slot[i] && memcmp(ch->v[ch->slot[i] - 1].address, addr, 20)) i = (i + 1) & mask;
    return i;
}

static int grow_slots(store_provider_changes *ch) {
    size_t ns = ch->nslots ? ch->nslots * 2 : 1024;
    uint32_t *p = calloc(ns, sizeof *p);
    if (!p) return STORE_ERR;
    free(ch->slot);
    ch->slot = p;
    ch->nslots = ns;
    for (size_t k = 0; k < ch->n; k++) ch->slot[find_slot(ch, ch->v[k].address)] = (uint32_t)(k + 1);
    return STORE_OK;
}

store_provider_change *store_provider_changes_at(store_provider_changes *ch, const uint8_t addr[20]) {
    if (2 * (ch->n + 1) > ch->nslots && grow_slots(ch) != STORE_OK) return NULL;
    size_t i = find_slot(ch, addr);
    if (ch->slot[i]) return &ch->v[ch->slot[i] - 1];
    if (ch->n == ch->cap) {
        size_t cap = ch->cap ? ch->cap * 2 : 256;
        void *p = realloc(ch->v, cap * sizeof *ch->v);
        if (!p) return NULL;
        ch->v = p;
        ch->cap = cap;
    }
    store_provider_change *c = &ch->v[ch->n];
    memset(c, 0, sizeof *c);
    memcpy(c->address, addr, 20);
    ch->slot[i] = (uint32_t)++ch->n;
    return c;
}

void store_provider_change_register(store_provider_change *c, const char *gpu_model, uint64_t vram, int64_t block_time,
                                    uint64_t block_number) {
    /* The chain's string is any bytes: PostgreSQL refuses invalid UTF-8 in text (the batch
     * would fail for ever), and JSON cannot carry it; cut it between characters. */
    utf8_copy(c->gpu_model, sizeof c->gpu_model, gpu_model ? gpu_model : "", gpu_model ? strlen(gpu_model) : 0);
    c->registered = true;
    c->online = true;
    c->vram = vram > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)vram;
    c->registered_block = block_number > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)block_number;
    if (block_time > c->last_seen) c->last_seen = block_time;
}

void store_provider_change_heartbeat(store_provider_change *c, int64_t ts) {
    c->online = true;
    if (ts > c->last_seen) c->last_seen = ts;
}

void store_provider_change_job_count(store_provider_change *c, int64_t count) {
    c->has_count = true;
    c->count = count;
}

int store_provider_changes_write(store *s, store_provider_changes *ch) {
    int rc = ch->n ? store_provider_apply_changes(s, ch->v, ch->n) : STORE_OK;
    store_provider_changes_clear(ch);
    return rc;
}
