/* natsauth — the operator's tool for NATS identities (issue 21): one nats-server account per
 * provider, so that a provider can publish only its own status reports and receive only its
 * own jobs, and lamda knows which provider sent each report.
 *
 *   natsauth init DIR                      create lamda's password (DIR/lamda.password) if
 *                                          missing and write DIR/accounts.conf
 *   natsauth add-provider DIR ADDRESS      create the provider's password if missing
 *                                          (DIR/providers/<EIP-55>.password), rewrite the config
 *   natsauth remove-provider DIR ADDRESS   forget the provider, rewrite the config
 *   natsauth config DIR                    rewrite DIR/accounts.conf from the password files
 *   natsauth url DIR lamda|ADDRESS URL     URL with that user's credentials: nats://h:p →
 *                                          nats://<user>:<password>@h:p (for NATS_URL)
 *
 * Run nats-server with `-c DIR/accounts.conf` (plus -js); after add/remove, `kill -HUP` it (or
 * `nats-server --signal reload`): connected clients stay, the new permissions apply at once.
 *
 * What the config says (docs/reliability.md, "Security"):
 *   - account LAMDA (JetStream on): user "lamda", no restriction. It exports each provider's
 *     jobs.dispatch.<addr> to that provider's account only and imports agent.status.<addr>.
 *   - account P_<addr> per provider: user "<addr>" may publish agent.status (and the mapped
 *     agent.status.<addr>) and subscribe to jobs.dispatch.<addr>, nothing else; the account maps
 *     agent.status → agent.status.<addr>, so the unmodified published agent (plain core NATS, a
 *     user:password URL) publishes where lamda can tell who it is.
 * Users log in with user + password (bcrypt-hashed in the config, hashes cached next to the
 * passwords): the published agent takes a NATS URL and nothing else, and a URL carries a
 * password but not an nkey seed. Every file written is mode 0600, DIR 0700.
 *
 * Exit status: 0 success, 1 failure, 2 usage error. Passwords are printed only by `url`. */
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/address.h"

#define MAX_PROVIDERS 4096
#define PW_BYTES 24
#define BCRYPT_COST 10

static int usage(void) {
    fprintf(stderr, "usage: natsauth init DIR | add-provider DIR ADDRESS | remove-provider DIR ADDRESS | "
                    "config DIR | url DIR lamda|ADDRESS URL\n");
    return 2;
}

static int write_file(const char *path, const char *text) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    int rc = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) unlink(tmp);
    return rc;
}

/* First line of path into out (cap bytes). */
static int read_line(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int rc = fgets(out, (int)cap, f) ? 0 : -1;
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
    return rc == 0 && *out ? 0 : -1;
}

/* path.password and path.hash for a user; made (random password, bcrypt hash) when missing. */
static int ensure_user(const char *base) {
    char pwpath[4096], hpath[4096], pw[2 * PW_BYTES + 1];
    snprintf(pwpath, sizeof pwpath, "%s.password", base);
    snprintf(hpath, sizeof hpath, "%s.hash", base);
    if (read_line(pwpath, pw, sizeof pw) != 0) {
        uint8_t r[PW_BYTES];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return -1;
        hex_encode_bare(r, sizeof r, pw);
        char line[sizeof pw + 1];
        snprintf(line, sizeof line, "%s\n", pw);
        if (write_file(pwpath, line) != 0) return -1;
        unlink(hpath);
    }
    char have[256];
    if (read_line(hpath, have, sizeof have) == 0) return 0;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    if (!crypt_gensalt_rn("$2b$", BCRYPT_COST, NULL, 0, salt, sizeof salt)) return -1;
    const char *h = crypt_rn(pw, salt, &cd, sizeof cd);
    memset(pw, 0, sizeof pw);
    if (!h || h[0] != '$') return -1;
    char line[256];
    snprintf(line, sizeof line, "%s\n", h);
    return write_file(hpath, line);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Append to a growing buffer; *oom set on failure. */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if (b->p && b->len + (size_t)n < b->cap) { b->len += (size_t)n; return; }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *q = realloc(b->p, nc);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = nc;
    }
}

static int write_config(const char *dir) {
    char path[4096], hash[256];
    snprintf(path, sizeof path, "%s/lamda.hash", dir);
    if (read_line(path, hash, sizeof hash) != 0) {
        fprintf(stderr, "natsauth: %s missing (run natsauth init %s)\n", path, dir);
        return 1;
    }
    char *names[MAX_PROVIDERS];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/providers", dir);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && n < MAX_PROVIDERS) {
            size_t l = strlen(e->d_name);
            if (l == 42 + 5 && !strcmp(e->d_name + 42, ".hash")) names[n++] = strndup(e->d_name, 42);
        }
        closedir(d);
    }
    qsort(names, n, sizeof *names, cmp_str);
    buf b = {0};
    put(&b, "# Generated by natsauth from %s; do not edit (rerun `natsauth config`).\n"
            "# Accounts: LAMDA (lamda's services, JetStream) and one P_<address> per provider.\n"
            "accounts {\n  LAMDA: {\n    jetstream: enabled\n    users: [ {user: \"lamda\", password: \"%s\"} ]\n",
        dir, hash);
    put(&b, "    exports: [\n");
    for (size_t i = 0; i < n; i++)
        put(&b, "      {stream: \"jobs.dispatch.%s\", accounts: [\"P_%s\"]}\n", names[i], names[i]);
    put(&b, "    ]\n    imports: [\n");
    for (size_t i = 0; i < n; i++)
        put(&b, "      {stream: {account: \"P_%s\", subject: \"agent.status.%s\"}}\n", names[i], names[i]);
    put(&b, "    ]\n  }\n");
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char hp[4096];
        snprintf(hp, sizeof hp, "%s/providers/%s.hash", dir, names[i]);
        if (read_line(hp, hash, sizeof hash) != 0) { rc = 1; break; }
        const char *a = names[i];
        put(&b,
            "  \"P_%s\": {\n"
            "    users: [ {user: \"%s\", password: \"%s\",\n"
            "      permissions: {publish: {allow: [\"agent.status\", \"agent.status.%s\"]},\n"
            "                    subscribe: {allow: [\"jobs.dispatch.%s\"]}}} ]\n"
            "    mappings: { \"agent.status\": \"agent.status.%s\" }\n"
            "    exports: [ {stream: \"agent.status.%s\", accounts: [\"LAMDA\"]} ]\n"
            "    imports: [ {stream: {account: \"LAMDA\", subject: \"jobs.dispatch.%s\"}} ]\n"
            "  }\n",
            a, a, hash, a, a, a, a, a);
    }
    put(&b, "}\n");
    for (size_t i = 0; i < n; i++) free(names[i]);
    if (rc || b.oom) {
        free(b.p);
        fprintf(stderr, "natsauth: cannot build the configuration\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/accounts.conf", dir);
    rc = write_file(path, b.p) == 0 ? 0 : 1;
    free(b.p);
    if (rc) fprintf(stderr, "natsauth: cannot write %s: %s\n", path, strerror(errno));
    else printf("wrote %s (%zu providers)\n", path, n);
    return rc;
}

static int parse_addr(const char *s, char out[ADDRESS_STR_LEN]) {
    uint8_t a[20];
    if (address_parse(s, strlen(s), a) != ADDRESS_OK) {
        fprintf(stderr, "natsauth: not an address (0x + 40 hex, EIP-55 checked when mixed-case)\n");
        return -1;
    }
    address_format(a, out);
    return 0;
}

static int cmd_url(const char *dir, const char *who, const char *url) {
    char base[4096], pw[128], addr[ADDRESS_STR_LEN];
    const char *user = "lamda";
    if (!strcmp(who, "lamda")) {
        snprintf(base, sizeof base, "%s/lamda.password", dir);
    } else {
        if (parse_addr(who, addr) != 0) return 2;
        user = addr;
        snprintf(base, sizeof base, "%s/providers/%s.password", dir, addr);
    }
    const char *sep = strstr(url, "://");
    if (!sep || strchr(url, '@')) {
        fprintf(stderr, "natsauth: URL must be scheme://host:port without credentials\n");
        return 2;
    }
    if (read_line(base, pw, sizeof pw) != 0) {
        fprintf(stderr, "natsauth: no password for %s in %s\n", user, dir);
        return 1;
    }
    printf("%.*s%s:%s@%s\n", (int)(sep + 3 - url), url, user, pw, sep + 3);
    memset(pw, 0, sizeof pw);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *cmd = argv[1], *dir = argv[2];
    char path[4096], addr[ADDRESS_STR_LEN];
    umask(077);
    if (!strcmp(cmd, "url")) return argc == 5 ? cmd_url(dir, argv[3], argv[4]) : usage();
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "natsauth: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/providers", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return 1;
    snprintf(path, sizeof path, "%s/lamda", dir);
    if (!strcmp(cmd, "init") && argc == 3) {
        if (ensure_user(path) != 0) return 1;
        return write_config(dir);
    }
    if (!strcmp(cmd, "config") && argc == 3) return write_config(dir);
    if ((!strcmp(cmd, "add-provider") || !strcmp(cmd, "remove-provider")) && argc == 4) {
        if (parse_addr(argv[3], addr) != 0) return 2;
        snprintf(path, sizeof path, "%s/providers/%s", dir, addr);
        if (!strcmp(cmd, "add-provider")) {
            if (ensure_user(path) != 0) {
                fprintf(stderr, "natsauth: cannot create the credentials of %s\n", addr);
                return 1;
            }
            printf("provider %s: user %s, password in %s.password\n", addr, addr, path);
        } else {
            char p2[4200];
            snprintf(p2, sizeof p2, "%s.password", path);
            unlink(p2);
            snprintf(p2, sizeof p2, "%s.hash", path);
            unlink(p2);
        }
        return write_config(dir);
    }
    return usage();
}
