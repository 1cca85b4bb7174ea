/* clock.h — wall-clock time as seconds (what timestamps in the store use). */
#ifndef TEND_BASE_CLOCK_H
#define TEND_BASE_CLOCK_H

double wall_now(void);

#endif
