/* shutdown — SIGINT/SIGTERM turn into a flag every service loop polls, plus an eventfd-like
 * pipe that event loops can watch so they wake at once instead of at their next timeout. */
#ifndef LAMDA_SHUTDOWN_H
#define LAMDA_SHUTDOWN_H

#include <stdbool.h>

/* Install SIGINT/SIGTERM handlers and ignore SIGPIPE. Call once from main. */
int shutdown_install(void);
/* True once a stop was requested (signal or shutdown_request). */
bool shutdown_requested(void);
/* Request a stop from code (e.g. a fatal error in one service of `lamda all`). */
void shutdown_request(void);
/* Read end of a pipe that becomes readable when a stop is requested; -1 before install. */
int shutdown_fd(void);
/* Sleep up to ms milliseconds, returning early (true) when a stop is requested. */
bool shutdown_sleep_ms(long ms);

#endif
