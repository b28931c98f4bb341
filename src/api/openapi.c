/* openapi — the OpenAPI 3 document, generated from the route table, so it lists exactly the
 * routes the router answers. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "version.h"

static cJSON *envelope_schema(void) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", "object");
    cJSON *p = cJSON_AddObjectToObject(s, "properties");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "success"), "type", "boolean");
    cJSON_AddObjectToObject(p, "data");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "error"), "type", "string");
    cJSON *req = cJSON_AddArrayToObject(s, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("success"));
    return s;
}

static void add_response(cJSON *responses, const char *code, const char *desc) {
    cJSON *r = cJSON_AddObjectToObject(responses, code);
    cJSON_AddStringToObject(r, "description", desc);
    cJSON *content = cJSON_AddObjectToObject(r, "content");
    cJSON *mt = cJSON_AddObjectToObject(content, "application/json");
    cJSON *schema = cJSON_AddObjectToObject(mt, "schema");
    cJSON_AddStringToObject(schema, "$ref", "#/components/schemas/Envelope");
}

char *api_openapi_build(size_t *len) {
    cJSON *doc = cJSON_CreateObject();
    if (!doc) return NULL;
    cJSON_AddStringToObject(doc, "openapi", "3.0.3");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Lamda Network API");
    cJSON_AddStringToObject(info, "version", LAMDA_VERSION);
    cJSON_AddStringToObject(info, "description",
                            "REST API of the Lamda Network backend. Every JSON response is an envelope "
                            "{success, data} or {success:false, error}.");
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < api_router_count(); i++) {
        const api_route *r = api_router_get(i);
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, r->pattern);
        if (!item) item = cJSON_AddObjectToObject(paths, r->pattern);
        char m[8];
        size_t k = 0;
        for (; r->method[k] && k < sizeof m - 1; k++) m[k] = (char)(r->method[k] | 0x20);
        m[k] = '\0';
        cJSON *op = cJSON_AddObjectToObject(item, m);
        cJSON_AddStringToObject(op, "summary", r->summary);
        cJSON *tags = cJSON_AddArrayToObject(op, "tags");
        cJSON_AddItemToArray(tags, cJSON_CreateString(r->tag));
        char opid[128];
        size_t o = 0;
        for (const char *p = m; *p && o < sizeof opid - 1; p++) opid[o++] = *p;
        for (const char *p = r->pattern; *p && o < sizeof opid - 1; p++)
            opid[o++] = (*p == '/' || *p == '{' || *p == '}' || *p == '.') ? '_' : *p;
        opid[o] = '\0';
        cJSON_AddStringToObject(op, "operationId", opid);
        if (r->params[0].name) {
            cJSON *ps = cJSON_AddArrayToObject(op, "parameters");
            for (const api_param *p = r->params; p->name; p++) {
                cJSON *pj = cJSON_CreateObject();
                cJSON_AddStringToObject(pj, "name", p->name);
                cJSON_AddStringToObject(pj, "in", p->in);
                cJSON_AddBoolToObject(pj, "required", !strcmp(p->in, "path"));
                cJSON_AddStringToObject(pj, "description", p->desc);
                cJSON_AddStringToObject(cJSON_AddObjectToObject(pj, "schema"), "type", p->type);
                cJSON_AddItemToArray(ps, pj);
            }
        }
        if (r->flags & API_F_JSON_BODY) {
            cJSON *rb = cJSON_AddObjectToObject(op, "requestBody");
            cJSON_AddBoolToObject(rb, "required", 1);
            cJSON *ct = cJSON_AddObjectToObject(cJSON_AddObjectToObject(rb, "content"), "application/json");
            cJSON_AddStringToObject(cJSON_AddObjectToObject(ct, "schema"), "type", "object");
        }
        if (r->flags & API_F_AUTH) {
            cJSON *sec = cJSON_AddArrayToObject(op, "security");
            cJSON *a = cJSON_CreateObject();
            cJSON_AddArrayToObject(a, "adminToken");
            cJSON_AddItemToArray(sec, a);
            cJSON *b = cJSON_CreateObject();
            cJSON_AddArrayToObject(b, "providerSignature");
            cJSON_AddItemToArray(sec, b);
        }
        cJSON *resp = cJSON_AddObjectToObject(op, "responses");
        if (!strcmp(r->pattern, "/metrics")) {
            cJSON *ok = cJSON_AddObjectToObject(resp, "200");
            cJSON_AddStringToObject(ok, "description", "Prometheus text exposition format 0.0.4");
        } else if (!strcmp(r->pattern, "/api/openapi.json")) {
            cJSON_AddStringToObject(cJSON_AddObjectToObject(resp, "200"), "description", "This document");
        } else {
            add_response(resp, "200", "Success");
        }
        if (r->params[0].name || (r->flags & API_F_JSON_BODY)) add_response(resp, "400", "Malformed input");
        if (strchr(r->pattern, '{')) add_response(resp, "404", "Not found");
        if (r->flags & API_F_AUTH) {
            add_response(resp, "401", "Missing credentials");
            add_response(resp, "403", "Bad credentials");
        }
        if (!(r->flags & API_F_NO_RATELIMIT)) add_response(resp, "429", "Rate limited (see Retry-After)");
    }
    cJSON *comp = cJSON_AddObjectToObject(doc, "components");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(comp, "schemas"), "Envelope", envelope_schema());
    cJSON *ss = cJSON_AddObjectToObject(comp, "securitySchemes");
    cJSON *bearer = cJSON_AddObjectToObject(ss, "adminToken");
    cJSON_AddStringToObject(bearer, "type", "http");
    cJSON_AddStringToObject(bearer, "scheme", "bearer");
    cJSON *sig = cJSON_AddObjectToObject(ss, "providerSignature");
    cJSON_AddStringToObject(sig, "type", "apiKey");
    cJSON_AddStringToObject(sig, "in", "header");
    cJSON_AddStringToObject(sig, "name", "X-Signature");
    cJSON_AddStringToObject(sig, "description", "EIP-191 signature with X-Timestamp; see docs/api-auth.md");
    char *txt = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (txt && len) *len = strlen(txt);
    return txt;
}
