/* deadline.c — deadlines of one length on one timer (see deadline.h). */
#include "api/deadline.h"

#include <stddef.h>

/* The timer always waits for the head of the list, the earliest. */
static void on_timer(uv_timer_t *timer);

static void rearm_timer(deadline_queue *q)
{
    if (!q->head) {
        uv_timer_stop(&q->timer);
        return;
    }
    uint64_t now = uv_now(q->timer.loop);
    uv_timer_start(&q->timer, on_timer, q->head->at > now ? q->head->at - now : 0, 0);
}

static void unlink_deadline(deadline_queue *q, deadline *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        q->head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        q->tail = d->prev;
    d->next = d->prev = NULL;
    d->armed = false;
}

static void on_timer(uv_timer_t *timer)
{
    deadline_queue *q = timer->data;
    uint64_t now = uv_now(timer->loop);
    while (q->head && q->head->at <= now) {
        deadline *d = q->head;
        unlink_deadline(q, d);
        q->expired(q, d);
    }
    rearm_timer(q);
}

void deadline_queue_init(uv_loop_t *loop, deadline_queue *q, uint64_t span_ms,
                         void (*expired)(deadline_queue *q, deadline *d), void *ctx)
{
    uv_timer_init(loop, &q->timer);
    q->timer.data = q;
    q->span_ms = span_ms;
    q->head = q->tail = NULL;
    q->expired = expired;
    q->ctx = ctx;
}

void deadline_arm(deadline_queue *q, deadline *d)
{
    if (d->armed) unlink_deadline(q, d);
    d->at = uv_now(q->timer.loop) + q->span_ms;
    d->armed = true;
    d->prev = q->tail;
    if (q->tail)
        q->tail->next = d;
    else
        q->head = d;
    q->tail = d;
    if (q->head == d) rearm_timer(q);
}

void deadline_disarm(deadline_queue *q, deadline *d)
{
    if (!d->armed) return;
    bool was_head = q->head == d;
    unlink_deadline(q, d);
    if (was_head) rearm_timer(q);
}

void deadline_queue_close(deadline_queue *q, uv_close_cb on_closed)
{
    uv_timer_stop(&q->timer);
    uv_close((uv_handle_t *)&q->timer, on_closed);
}
