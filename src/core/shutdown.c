#include "core/shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_bool g_stop;
static int g_pipe[2] = {-1, -1};

static void on_signal(int sig) {
    (void)sig;
    shutdown_request();
}

int shutdown_install(void) {
    if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

bool shutdown_requested(void) { return atomic_load(&g_stop); }

/* Async-signal-safe: only an atomic store and write(2). */
void shutdown_request(void) {
    int saved = errno;
    atomic_store(&g_stop, true);
    if (g_pipe[1] >= 0) {
        ssize_t r = write(g_pipe[1], "x", 1);
        (void)r;
    }
    errno = saved;
}

int shutdown_fd(void) { return g_pipe[0]; }

bool shutdown_sleep_ms(long ms) {
    if (shutdown_requested()) return true;
    if (g_pipe[0] < 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return shutdown_requested();
    }
    struct pollfd p = {.fd = g_pipe[0], .events = POLLIN};
    poll(&p, 1, (int)ms);
    return shutdown_requested();
}
