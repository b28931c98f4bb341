/* The OpenAPI document (src/api/openapi.c, openapi_schemas.c): it builds from the route table,
 * every route names schemas that exist, every component schema is valid JSON, and every
 * $ref in the document resolves to a component. (The document is checked against real
 * responses by tests/integration/test_api_gateway.sh and linted by test_openapi_contract.sh.) */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "test.h"

TEST(every_schema_parses_and_every_envelope_names_a_schema) {
    for (const api_schema *s = api_schemas; s->name; s++) {
        if (s->data) {
            CHECK(api_schema_find(s->data) != NULL);
            CHECK(s->json == NULL);
        } else {
            cJSON *j = cJSON_Parse(s->json);
            CHECK(cJSON_IsObject(j));
            cJSON_Delete(j);
        }
    }
    CHECK(api_schema_find("NoSuchSchema") == NULL);
    CHECK(api_schema_find(NULL) == NULL);
}

TEST(every_route_names_existing_schemas) {
    CHECK_EQ_INT(api_router_init(), 0);
    for (size_t i = 0; i < api_router_count(); i++) {
        const api_route *r = api_router_get(i);
        const api_schema *resp = api_schema_find(r->response);
        CHECK(resp != NULL && resp->media != NULL);
        if (r->flags & API_F_JSON_BODY) CHECK(api_schema_find(r->request) != NULL);
        else CHECK(r->request == NULL);
    }
}

/* Every "$ref" string under node resolves to an entry of schemas. */
static int unresolved(const cJSON *node, const cJSON *schemas) {
    int n = 0;
    for (const cJSON *it = node ? node->child : NULL; it; it = it->next) {
        if (it->string && !strcmp(it->string, "$ref") && cJSON_IsString(it)) {
            const char *pre = "#/components/schemas/";
            if (strncmp(it->valuestring, pre, strlen(pre)) != 0 ||
                !cJSON_GetObjectItemCaseSensitive(schemas, it->valuestring + strlen(pre)))
                n++;
        }
        n += unresolved(it, schemas);
    }
    return n;
}

TEST(document_builds_with_resolving_refs) {
    size_t len = 0;
    char *txt = api_openapi_build(&len);
    CHECK(txt != NULL && len == strlen(txt));
    cJSON *doc = txt ? cJSON_Parse(txt) : NULL;
    CHECK(doc != NULL);
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "components"), "schemas");
    CHECK(cJSON_IsObject(schemas));
    CHECK_EQ_INT(unresolved(doc, schemas), 0);
    CHECK_EQ_STR(cJSON_GetObjectItemCaseSensitive(doc, "openapi")->valuestring, "3.1.0");
    /* The authenticated route declares both ways in; a public one declares none. */
    const cJSON *put = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "paths"), "/api/jobs/{id}/status"), "put");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(put, "security")), 2);
    const cJSON *get = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "paths"), "/api/jobs"), "get");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(get, "security");
    CHECK(cJSON_IsArray(sec) && cJSON_GetArraySize(sec) == 0);
    /* A declared extra status: POST /api/jobs answers 202 with its success body. */
    const cJSON *post = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "paths"), "/api/jobs"), "post");
    const cJSON *r202 = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(post, "responses"), "202");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r202, "content"), "application/json"), "schema"),
        "$ref");
    CHECK(cJSON_IsString(ref) && !strcmp(ref->valuestring, "#/components/schemas/JobSpecResponse"));
    cJSON_Delete(doc);
    free(txt);
}

int main(void) {
    RUN(every_schema_parses_and_every_envelope_names_a_schema);
    RUN(every_route_names_existing_schemas);
    RUN(document_builds_with_resolving_refs);
    TEST_EXIT();
}
