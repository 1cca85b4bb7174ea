/* joblog.h — a job's stdout and stderr, captured through pipes into its
 * log file: one line per output line, "TIMESTAMP out|err TEXT".
 *
 * The daemon's ends of the pipes are non-blocking and read by the loop in
 * large chunks into one shared buffer, so a child writing as fast as it
 * can never blocks the daemon, and a thousand idle jobs cost no buffers.
 * A line longer than JOBLOG_LINE_MAX is cut and marked, and counted. Each
 * service's logs stay within a budget; the oldest jobs' logs go first.
 * A log outlives its job until both pipes reach end-of-file, so nothing
 * the process wrote before it died is lost, but by JOBLOG_DRAIN_MS at
 * most: a descendant that escaped being killed cannot hold it open.
 */
#ifndef TEND_DAEMON_JOBLOG_H
#define TEND_DAEMON_JOBLOG_H

#include <stdint.h>
#include <uv.h>

#define JOBLOG_LINE_MAX 16384
#define JOBLOG_DRAIN_MS 500
/* A service keeps at most this many log files; its byte budget is its
 * log_max_bytes, and one job's file is cut in two (JOB.log.1, JOB.log)
 * when it passes a quarter of the budget. */
#define JOBLOG_SERVICE_FILES 64

typedef struct job_log job_log;

/* Makes the two pipes for a job whose output goes to logs_dir/SERVICE/JOB.log
 * (logs_dir/_jobs/JOB.log for a job of no service), created when the first
 * output arrives. *path gets the file's path (caller frees). */
job_log *joblog_open(uv_loop_t *loop, const char *logs_dir, const char *service, int64_t job_id,
                     uint64_t budget, char **path);
/* A log for pipes that exist already (read ends a keeper held for a job a
 * main process before this one started): appended to the same file. */
job_log *joblog_attach(uv_loop_t *loop, const char *logs_dir, const char *service, int64_t job_id,
                       uint64_t budget, const int read_fds[2]);
/* Its read ends (for the keeper to hold a copy of). */
void joblog_read_fds(job_log *log, int *out_fd, int *err_fd);
/* The write ends for the child's stdout and stderr. */
void joblog_child_fds(job_log *log, int *out_fd, int *err_fd);
/* The child has them now: the daemon closes its copies of the write ends. */
void joblog_child_started(job_log *log);
/* The job no longer needs the log; it goes once the pipes are drained. */
void joblog_release(job_log *log);

/* Called with each block of complete, formatted lines ("TIMESTAMP out
 * TEXT\n"...) as it is written; service is NULL for a standalone job. */
typedef void (*joblog_listener_fn)(void *ctx, const char *service, int64_t job_id,
                                   const char *lines, size_t len);
void joblog_set_listener(joblog_listener_fn fn, void *ctx);

typedef struct {
    uint64_t bytes;         /* read from all jobs */
    uint64_t lines_cut;     /* lines longer than JOBLOG_LINE_MAX */
    uint64_t files_pruned;  /* old logs deleted to keep within the budget */
    uint64_t bytes_dropped; /* formatted log bytes no file took (a full disk, an unwritable log) */
} joblog_stats;
joblog_stats joblog_totals(void);

#endif
