/* signame.h — signal names <-> numbers ("TERM", "SIGTERM", 15). */
#ifndef TEND_BASE_SIGNAME_H
#define TEND_BASE_SIGNAME_H

/* The number of a signal named "TERM" or "SIGTERM" (any case), or of a
 * decimal number 1..64; -1 if there is no such signal. */
int signal_from_name(const char *name);
/* "SIGTERM" for 15; "SIG<n>" text is not produced: unknown gives "?". */
const char *signal_name(int sig);

#endif
