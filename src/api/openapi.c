/* openapi — the OpenAPI 3.1 document, generated from the route table (so it lists exactly the
 * routes the router answers) and the body schemas of openapi_schemas.c (which each route
 * names). A route naming a schema that does not exist is a build error of the document, and
 * the server refuses to start: the contract cannot silently drift from the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "version.h"

#define REF "#/components/schemas/"

static cJSON *ref_to(const char *name) {
    char ref[96];
    snprintf(ref, sizeof ref, REF "%s", name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "$ref", ref);
    return o;
}

/* {"success":true,"data":<data>} with the data schema named. */
static cJSON *envelope(const char *data) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", "object");
    cJSON_AddBoolToObject(s, "additionalProperties", 0);
    cJSON *req = cJSON_AddArrayToObject(s, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("success"));
    cJSON_AddItemToArray(req, cJSON_CreateString("data"));
    cJSON *p = cJSON_AddObjectToObject(s, "properties");
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(p, "success"), "const");
    cJSON_AddItemToObject(p, "data", ref_to(data));
    return s;
}

static cJSON *schemas(void) {
    cJSON *all = cJSON_CreateObject();
    for (const api_schema *s = api_schemas; all && s->name; s++) {
        cJSON *one = s->data ? envelope(s->data) : cJSON_Parse(s->json);
        if (!one || (s->data && !api_schema_find(s->data))) {
            fprintf(stderr, "openapi: schema %s is malformed or names an unknown schema\n", s->name);
            cJSON_Delete(one);
            cJSON_Delete(all);
            return NULL;
        }
        cJSON_AddItemToObject(all, s->name, one);
    }
    return all;
}

static const char *reason(int code) {
    switch (code) {
    case 200: return "Success";
    case 202: return "Accepted";
    case 400: return "Malformed input (path, query string or body)";
    case 401: return "Missing or unusable credentials";
    case 403: return "Credentials refused";
    case 404: return "Not found";
    case 409: return "Conflicts with the current state";
    case 413: return "Request body too large (API_MAX_BODY)";
    case 415: return "Body is not application/json";
    case 429: return "Rate limited; retry after Retry-After seconds";
    case 500: return "Internal error";
    case 503: return "A dependency (database, memory) is unavailable";
    default: return "Response";
    }
}

/* responses[code] = the named schema under its media type. -1 when the name is unknown. */
static int add_response(cJSON *responses, int code, const char *name) {
    const api_schema *s = api_schema_find(name);
    if (!s || !s->media) {
        fprintf(stderr, "openapi: response schema %s is unknown or not a whole body\n", name ? name : "(none)");
        return -1;
    }
    char key[8];
    snprintf(key, sizeof key, "%d", code);
    cJSON_DeleteItemFromObjectCaseSensitive(responses, key);
    cJSON *r = cJSON_AddObjectToObject(responses, key);
    cJSON_AddStringToObject(r, "description", reason(code));
    if (code == 429) {
        cJSON *h = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "headers"), "Retry-After");
        cJSON_AddStringToObject(h, "description", "seconds until a request is allowed again");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(h, "schema"), "type", "integer");
    }
    cJSON *mt = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "content"), s->media);
    cJSON_AddItemToObject(mt, "schema", ref_to(name));
    return 0;
}

/* A second media type for responses[code] (added before). */
static int add_media(cJSON *responses, int code, const char *name) {
    char key[8];
    snprintf(key, sizeof key, "%d", code);
    const api_schema *s = api_schema_find(name);
    cJSON *content = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(responses, key), "content");
    if (!s || !s->media || !content) return -1;
    cJSON_AddItemToObject(cJSON_AddObjectToObject(content, s->media), "schema", ref_to(name));
    return 0;
}

static int add_responses(cJSON *op, const api_route *r) {
    cJSON *resp = cJSON_AddObjectToObject(op, "responses");
    int rc = add_response(resp, 200, r->response);
    rc |= add_response(resp, 400, "Error");
    if (strchr(r->pattern, '{')) rc |= add_response(resp, 404, "Error");
    if (r->flags & API_F_JSON_BODY) {
        /* h2o refuses a declared Content-Length over the limit itself, in plain text; a
         * chunked body is measured by the API, which answers in JSON. */
        rc |= add_response(resp, 413, "Error");
        rc |= add_media(resp, 413, "PlainError");
        rc |= add_response(resp, 415, "Error");
    }
    if (!(r->flags & API_F_NO_RATELIMIT)) rc |= add_response(resp, 429, "Error");
    rc |= add_response(resp, 500, "Error");
    rc |= add_response(resp, 503, "Error");
    for (const char *p = r->codes; p && *p;) {
        char *end;
        long code = strtol(p, &end, 10);
        char name[64] = "";
        const char *q = end;
        if (*q == '=') {
            size_t n = strcspn(++q, " ");
            if (n >= sizeof name) return -1;
            memcpy(name, q, n);
            name[n] = '\0';
            q += n;
        }
        if (end == p || code < 200 || code > 599) return -1;
        const char *schema = *name ? name : code < 300 ? r->response : "Error";
        rc |= add_response(resp, (int)code, schema);
        p = q + strspn(q, " ");
    }
    return rc;
}

/* The admin bearer token or the provider's signed headers (either one); [] for public. */
static void add_security(cJSON *op, const api_route *r) {
    cJSON *sec = cJSON_AddArrayToObject(op, "security");
    if (!(r->flags & API_F_AUTH)) return;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddArrayToObject(a, "adminToken");
    cJSON_AddItemToArray(sec, a);
    if (r->flags & API_F_ADMIN_ONLY) return;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddArrayToObject(b, "providerSignature");
    cJSON_AddArrayToObject(b, "providerTimestamp");
    cJSON_AddItemToArray(sec, b);
}

static void add_params(cJSON *op, const api_route *r) {
    if (!r->params[0].name) return;
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

static int add_operation(cJSON *paths, const api_route *r) {
    cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, r->pattern);
    if (!item) item = cJSON_AddObjectToObject(paths, r->pattern);
    char m[8];
    size_t k = 0;
    for (; r->method[k] && k < sizeof m - 1; k++) m[k] = (char)(r->method[k] | 0x20);
    m[k] = '\0';
    cJSON *op = cJSON_AddObjectToObject(item, m);
    cJSON_AddStringToObject(op, "summary", r->summary);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(op, "tags"), cJSON_CreateString(r->tag));
    char opid[128];
    size_t o = 0;
    for (const char *p = m; *p && o < sizeof opid - 1; p++) opid[o++] = *p;
    for (const char *p = r->pattern; *p && o < sizeof opid - 1; p++)
        opid[o++] = (*p == '/' || *p == '{' || *p == '}' || *p == '.') ? '_' : *p;
    opid[o] = '\0';
    cJSON_AddStringToObject(op, "operationId", opid);
    add_params(op, r);
    if (r->flags & API_F_JSON_BODY) {
        if (!api_schema_find(r->request)) {
            fprintf(stderr, "openapi: %s %s: request schema %s is unknown\n", r->method, r->pattern,
                    r->request ? r->request : "(none)");
            return -1;
        }
        cJSON *rb = cJSON_AddObjectToObject(op, "requestBody");
        cJSON_AddBoolToObject(rb, "required", 1);
        cJSON *ct = cJSON_AddObjectToObject(cJSON_AddObjectToObject(rb, "content"), "application/json");
        cJSON_AddItemToObject(ct, "schema", ref_to(r->request));
    }
    add_security(op, r);
    return add_responses(op, r);
}

static void add_tag(cJSON *tags, const char *name, const char *desc) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", name);
    cJSON_AddStringToObject(t, "description", desc);
    cJSON_AddItemToArray(tags, t);
}

/* The credentials of PUT /api/jobs/{id}/status (docs/api-auth.md). Members that are NULL are
 * left out: "scheme" is for the http type, "in" and "name" for apiKey. */
static const struct {
    const char *id, *type, *scheme, *in, *name, *description;
} security_schemes[] = {
    {"adminToken", "http", "bearer", NULL, NULL, "Authorization: Bearer <API_ADMIN_TOKEN>"},
    {"providerSignature", "apiKey", NULL, "header", "X-Signature",
     "EIP-191 signature (65 bytes hex) by the job's provider over the canonical status "
     "message (docs/api-auth.md); may be sent as the body field signature instead"},
    {"providerTimestamp", "apiKey", NULL, "header", "X-Timestamp",
     "unix seconds signed with X-Signature, within API_AUTH_WINDOW of the server's clock; "
     "may be sent as the body field timestamp instead"},
};

static void add_security_schemes(cJSON *comp) {
    cJSON *ss = cJSON_AddObjectToObject(comp, "securitySchemes");
    for (size_t i = 0; i < sizeof security_schemes / sizeof security_schemes[0]; i++) {
        cJSON *o = cJSON_AddObjectToObject(ss, security_schemes[i].id);
        const char *keys[] = {"type", "scheme", "in", "name", "description"};
        const char *vals[] = {security_schemes[i].type, security_schemes[i].scheme, security_schemes[i].in,
                              security_schemes[i].name, security_schemes[i].description};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (vals[k]) cJSON_AddStringToObject(o, keys[k], vals[k]);
    }
}

char *api_openapi_build(size_t *len) {
    cJSON *doc = cJSON_CreateObject();
    cJSON *sch = schemas();
    if (!doc || !sch) goto fail;
    cJSON_AddStringToObject(doc, "openapi", "3.1.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Lamda Network API");
    cJSON_AddStringToObject(info, "version", LAMDA_VERSION);
    cJSON_AddStringToObject(info, "description",
                            "REST API of the Lamda Network backend. JSON responses are the envelope "
                            "{success:true, data} or {success:false, error}; /health, /metrics and this "
                            "document are bare.");
    cJSON *srv = cJSON_CreateObject();
    /* Relative: the document is served by the API it describes, on whatever host and port. */
    cJSON_AddStringToObject(srv, "url", "/");
    cJSON_AddStringToObject(srv, "description", "the server that serves this document");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "servers"), srv);
    cJSON *tags = cJSON_AddArrayToObject(doc, "tags");
    add_tag(tags, "ops", "Probes, metrics and this document");
    add_tag(tags, "nodes", "GPU providers");
    add_tag(tags, "jobs", "Jobs, job specs and status updates");
    add_tag(tags, "reputation", "Providers' on-chain reputation");
    add_tag(tags, "admin", "Operator actions (admin bearer token)");
    add_tag(tags, "events", "Server-Sent Events: live changes, resumable with Last-Event-ID");
    add_tag(tags, "dashboard", "The operator dashboard and its data");
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < api_router_count(); i++)
        if (add_operation(paths, api_router_get(i)) != 0) goto fail;
    cJSON *comp = cJSON_AddObjectToObject(doc, "components");
    cJSON_AddItemToObject(comp, "schemas", sch);
    sch = NULL;
    add_security_schemes(comp);
    char *txt = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (txt && len) *len = strlen(txt);
    return txt;
fail:
    cJSON_Delete(sch);
    cJSON_Delete(doc);
    return NULL;
}
