/* clock.h — time as seconds: wall-clock (what timestamps in the store
 * use) and monotonic (for deadlines, which a clock change must not move). */
#ifndef TEND_BASE_CLOCK_H
#define TEND_BASE_CLOCK_H

double wall_now(void);
double monotonic_now(void);

#endif
