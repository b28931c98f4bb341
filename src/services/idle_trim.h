/* idle_trim — give memory back when the process goes quiet after work.
 *
 * A burst of work (a backfill, a wave of jobs, increments to send) leaves freed memory in the
 * allocator's arenas and full page caches on every SQLite connection; an idle lamda would keep
 * them for good. A watcher thread reads the process's CPU time twice a second: after work
 * (half a core busy) followed by 3 s under a fifth of a core, it asks
 * every database connection to drop its cache (db_release_everywhere) and, 2 s later, once they
 * have done it on their own threads, returns the free memory to the kernel (malloc_trim). */
#ifndef LAMDA_IDLE_TRIM_H
#define LAMDA_IDLE_TRIM_H

/* Start the watcher (0) or fail (-1: the process runs on, only without it). */
int idle_trim_start(void);
/* Stop and join it; call after shutdown was requested. */
void idle_trim_stop(void);

#endif
