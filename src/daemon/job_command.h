/* job_command.h — a command run beside a job for its adapter: a step
 * before its main process, its stop, what clears up after it, its watch
 * (adapters/adapter.h). A proc of the process layer (so its tree is kept
 * together and killed with it), its output read on the loop through
 * pipes of its own: handed on as it comes, for a watch; else kept, so
 * that the last line it wrote can say why it failed. */
#ifndef TEND_DAEMON_JOB_COMMAND_H
#define TEND_DAEMON_JOB_COMMAND_H

#include <stddef.h>
#include <uv.h>

typedef struct job_command job_command;

/* Each piece of the command's stdout, as it comes. */
typedef void (*job_command_output_fn)(void *ctx, const char *data, size_t len);
/* It ended (exit_code, term_signal as the process layer gives them; -1
 * and 0 when it could not start); words: the last line it wrote (stdout,
 * unless output takes that, or stderr), or why it could not start; "" if
 * none. After this the command is gone. */
typedef void (*job_command_done_fn)(void *ctx, int exit_code, int term_signal, const char *words);

/* Runs argv with env (both taken) as unit; output may be NULL. NULL when
 * out of memory (argv and env are freed). */
job_command *job_command_run(uv_loop_t *loop, const char *unit, char **argv, char **env,
                             job_command_output_fn output, job_command_done_fn done, void *ctx);
/* Kills what runs of it; done is not called. */
void job_command_cancel(job_command *c);

#endif
