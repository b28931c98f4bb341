#include "api/internal.h"
const api_route api_routes_reputation[] = {{NULL, NULL, NULL, NULL, NULL, 0, {{0}}}};
