/* Fuzz configuration: the input is written to a temporary .env file and loaded with
 * config_load (the environment is emptied first, so only the file speaks). Properties: no
 * crash, no leak on success or refusal; a refusal names the variable; an accepted configuration
 * prints (secrets redacted) without a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/config.h"

static char g_path[64];

static void remove_file(void) { unlink(g_path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_path[0]) {
        clearenv();
        snprintf(g_path, sizeof g_path, "/tmp/lamda-fuzz-config.%d.env", (int)getpid());
        atexit(remove_file);
    }
    FILE *f = fopen(g_path, "wb");
    if (!f) return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);
    lamda_config cfg;
    char err[512] = "";
    if (config_load(&cfg, g_path, err, sizeof err) == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            config_print(&cfg, null);
            close(null);
        }
        config_free(&cfg);
    } else if (err[0] == 0) {
        abort();
    }
    return 0;
}
