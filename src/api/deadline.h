/* deadline.h — many deadlines of one length on one uv_timer. All are
 * "now + span", so they expire in the order they were armed: a FIFO list
 * keeps them sorted, and arming, disarming and expiring are O(1). */
#ifndef TEND_API_DEADLINE_H
#define TEND_API_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct deadline {
    uint64_t at; /* uv_now() milliseconds */
    bool armed;
    struct deadline *next, *prev;
} deadline;

typedef struct deadline_queue {
    uv_timer_t timer;
    uint64_t span_ms;
    deadline *head, *tail;
    void (*expired)(struct deadline_queue *q, deadline *d); /* d is disarmed first */
    void *ctx;
} deadline_queue;

void deadline_queue_init(uv_loop_t *loop, deadline_queue *q, uint64_t span_ms,
                         void (*expired)(deadline_queue *q, deadline *d), void *ctx);
/* (Re)arms d to expire span_ms from now. */
void deadline_arm(deadline_queue *q, deadline *d);
/* Leaves d unarmed (if it was not, nothing happens). */
void deadline_disarm(deadline_queue *q, deadline *d);
/* Closes the timer (the queue's memory must stay until on_closed). */
void deadline_queue_close(deadline_queue *q, uv_close_cb on_closed);

#endif
