/* idle_trim — see idle_trim.h. */
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/shutdown.h"
#include "services/idle_trim.h"
#include "store/db.h"

#define IDLE_TRIM_TICK_MS 500
/* Work: a tick with half a core busy (a backfill, a wave of jobs). Quiet: under a fifth of a
 * core for 3 s. Not "no CPU at all": lamda idles at a few percent (polls, heartbeats,
 * timers), more while it probes absent agents for their waiting jobs (about 9% of a core for
 * 2,000 such jobs, every JOB_REDELIVERY_MAX_BACKOFF), and it is that steady state that should
 * hold only what it uses. 3 s is longer than the API's own 2 s trim after its last request, so
 * the answers it drops from its cache are given back too. */
#define IDLE_TRIM_BUSY_PERMILLE 500
#define IDLE_TRIM_QUIET_MS 3000
#define IDLE_TRIM_QUIET_PERMILLE 200
/* Time for every connection to reach a statement or a wait (db_idle) and drop its cache: the
 * followers wait at most their poll interval, the other loops poll at least once a second. */
#define IDLE_TRIM_AFTER_RELEASE_MS 2000

static pthread_t watcher;
static bool running;

static int64_t cpu_ms(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watch(void *arg) {
    (void)arg;
    enum { QUIET_TICKS = IDLE_TRIM_QUIET_MS / IDLE_TRIM_TICK_MS };
    int64_t window[QUIET_TICKS + 1]; /* CPU time at the last ticks, a ring */
    int ticks = 0;
    bool worked = false;   /* a busy tick since the last trim */
    int trim_in = 0; /* ticks until the trim, once the connections were asked */
    window[0] = cpu_ms();
    while (!shutdown_sleep_ms(IDLE_TRIM_TICK_MS)) {
        int64_t now = cpu_ms();
        int64_t prev = window[ticks % (QUIET_TICKS + 1)];
        ticks++;
        window[ticks % (QUIET_TICKS + 1)] = now;
        if (trim_in > 0) {
            if (--trim_in == 0) malloc_trim(0);
            continue;
        }
        if ((now - prev) * 1000 >= IDLE_TRIM_BUSY_PERMILLE * IDLE_TRIM_TICK_MS) worked = true;
        if (!worked || ticks < QUIET_TICKS) continue;
        int64_t quiet_from = window[(ticks - QUIET_TICKS) % (QUIET_TICKS + 1)];
        if ((now - quiet_from) * 1000 < IDLE_TRIM_QUIET_PERMILLE * IDLE_TRIM_QUIET_MS) {
            db_release_everywhere();
            trim_in = IDLE_TRIM_AFTER_RELEASE_MS / IDLE_TRIM_TICK_MS;
            worked = false;
        }
    }
    return NULL;
}

int idle_trim_start(void) {
    if (pthread_create(&watcher, NULL, watch, NULL) != 0) return -1;
    running = true;
    return 0;
}

void idle_trim_stop(void) {
    if (!running) return;
    pthread_join(watcher, NULL);
    running = false;
}
