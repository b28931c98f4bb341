/* httpfuzz — send N generated hostile HTTP requests to 127.0.0.1:PORT over plain sockets and
 * tally the status codes: `httpfuzz PORT N [SEED]`. Requests mix invalid UTF-8, huge and
 * numerous headers, SQL-injection and traversal strings in paths and queries, deeply nested
 * and truncated JSON bodies, odd methods, bad percent-encoding and lying Content-Lengths.
 * Prints "sent N 2xx A 3xx B 4xx C 5xx D closed E" and exits 1 if any 5xx was seen or the
 * server stopped accepting connections. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned long long g_rng;
static unsigned rnd(unsigned n) {
    g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return n ? (unsigned)((g_rng >> 33) % n) : 0;
}

typedef struct {
    char *p;
    size_t len, cap;
} buf;
static void put(buf *b, const void *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->cap + n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) abort();
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static const char *methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT",
                                "PROPFIND", "G\xc3\x28T", "get", "X", "GETGETGETGETGETGETGETGET"};
static const char *paths[] = {"/api/nodes/", "/api/jobs/", "/api/v1/nodes/", "/api/v1/jobs/", "/api/reputation/",
                              "/api/v1/jobs/renter/", "/api/v1/jobs/provider/", "/health", "/ready", "/metrics",
                              "/api/openapi.json", "/api/nodes/query", "/api/jobs/query", "/", "//", "/../../etc/passwd",
                              "/api/%2e%2e/", "*", "http://x/api/nodes"};
static const char *evil[] = {"' OR '1'='1", "1; DROP TABLE jobs;--", "\xff\xfe\xfd", "\xc3\x28", "%00", "%zz", "%",
                             "0x", "0x" "70997970c51812dc3a010c7d01b50e0d17dc79c8", "../..", "%2F%2E%2E", "\"><script>",
                             "-1", "99999999999999999999999", "1e400", "NaN", "{}", "\x01\x02\x7f", "%C0%AF",
                             "0x0000000000000000000000000000000000000000000000000000000000000001", "status"};
static const char *qkeys[] = {"limit", "offset", "min_vram", "gpu_model", "status", "provider_address", "renter_address",
                              "online", "min_reputation_score", "x"};

static void gen_json(buf *b, int depth) {
    switch (rnd(6)) {
    case 0: { /* deeply nested */
        int d = 1 + (int)rnd(depth);
        for (int i = 0; i < d; i++) puts_(b, rnd(2) ? "[" : "{\"a\":");
        if (rnd(3)) for (int i = 0; i < d; i++) puts_(b, "]");
        break;
    }
    case 1: puts_(b, "{\"limit\":"); puts_(b, evil[rnd(sizeof evil / sizeof *evil)]); puts_(b, "}"); break;
    case 2: puts_(b, "{\"status\":\"running\",\"signature\":\"0x"); for (int i = 0; i < 130; i++) puts_(b, "f");
            puts_(b, "\",\"timestamp\":1}"); break;
    case 3: puts_(b, "{\"provider_address\":\""); puts_(b, evil[rnd(sizeof evil / sizeof *evil)]); puts_(b, "\"}"); break;
    case 4: for (int i = 0; i < 50; i++) { char c = (char)rnd(256); put(b, &c, 1); } break;
    default: puts_(b, "{\"min_vram\":1e999,\"gpu_model\":\"\xff\xff\",\"limit\":1.5}"); break;
    }
}

static void gen(buf *b) {
    buf body = {0};
    int kind = (int)rnd(10);
    puts_(b, methods[rnd(sizeof methods / sizeof *methods)]);
    puts_(b, " ");
    puts_(b, paths[rnd(sizeof paths / sizeof *paths)]);
    if (rnd(2)) puts_(b, evil[rnd(sizeof evil / sizeof *evil)]);
    if (rnd(3) == 0) puts_(b, "/status");
    if (rnd(2)) {
        int n = 1 + (int)rnd(kind == 3 ? 60 : 4);
        for (int i = 0; i < n; i++) {
            puts_(b, i ? "&" : "?");
            puts_(b, qkeys[rnd(sizeof qkeys / sizeof *qkeys)]);
            puts_(b, "=");
            puts_(b, evil[rnd(sizeof evil / sizeof *evil)]);
        }
    }
    puts_(b, rnd(20) ? " HTTP/1.1\r\n" : " HTTP/9.9\r\n");
    puts_(b, "Host: 127.0.0.1\r\n");
    if (kind == 1) { /* huge header */
        puts_(b, "X-Big: ");
        size_t n = 1000 + rnd(20000);
        for (size_t i = 0; i < n; i++) puts_(b, "A");
        puts_(b, "\r\n");
    }
    if (kind == 2) /* many headers */
        for (int i = 0; i < 150; i++) puts_(b, "X-Many: 1\r\n");
    if (kind == 4) puts_(b, "Authorization: Bearer ' OR 1=1 --\r\n");
    if (kind == 5) puts_(b, "Origin: https://\xff\xfe.example\r\nAccess-Control-Request-Method: PUT\r\n");
    if (kind == 6) puts_(b, "X-Signature: 0xzz\r\nX-Timestamp: -5\r\n");
    if (kind == 7) puts_(b, "Bad Header Without Colon\r\n");
    if (rnd(3) == 0 || kind == 8) {
        gen_json(&body, 3000);
        char cl[64];
        long len = (long)body.len;
        if (rnd(10) == 0) len += (long)rnd(5) + 1; /* lie: fewer bytes follow than announced */
        snprintf(cl, sizeof cl, "Content-Type: application/json\r\nContent-Length: %ld\r\n", len);
        puts_(b, cl);
    }
    puts_(b, "Connection: close\r\n\r\n");
    if (body.len) put(b, body.p, body.len);
    free(body.p);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: httpfuzz PORT N [SEED]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long n = atol(argv[2]);
    g_rng = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    long cls[6] = {0}, closed = 0, refused = 0;
    for (long i = 0; i < n; i++) {
        buf req = {0};
        gen(&req);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            refused++;
            if (fd >= 0) close(fd);
            free(req.p);
            if (refused > 3) break;
            usleep(100000);
            continue;
        }
        struct timeval tv = {2, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        size_t off = 0;
        while (off < req.len) {
            ssize_t w = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += (size_t)w;
        }
        shutdown(fd, SHUT_WR);
        char resp[64] = "";
        ssize_t r = recv(fd, resp, sizeof resp - 1, 0);
        if (r >= 12 && !memcmp(resp, "HTTP/1.", 7)) {
            int code = atoi(resp + 9);
            int c = code / 100;
            if (c >= 1 && c <= 5) cls[c]++;
            if (c == 5) {
                resp[r] = '\0';
                fprintf(stderr, "5xx for request %ld: %.200s\n", i, req.p);
            }
        } else {
            closed++; /* closed without a response (h2o drops some garbage outright) */
        }
        close(fd);
        free(req.p);
    }
    printf("sent %ld 2xx %ld 3xx %ld 4xx %ld 5xx %ld closed %ld refused %ld\n", n, cls[2], cls[3], cls[4], cls[5],
           closed, refused);
    return cls[5] || refused > 3 ? 1 : 0;
}
