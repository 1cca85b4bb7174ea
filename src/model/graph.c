/* graph.c — cycles (iterative DFS), closures and priority topological order
 * (Kahn's algorithm with a binary heap) over a dependency graph. */
#include "model/graph.h"

#include <errno.h>
#include <stdlib.h>

int graph_init(dep_graph *g, size_t n)
{
    *g = (dep_graph){.n = n};
    g->deps = calloc(n ? n : 1, sizeof(*g->deps));
    g->n_deps = calloc(n ? n : 1, sizeof(*g->n_deps));
    g->cap_deps = calloc(n ? n : 1, sizeof(*g->cap_deps));
    if (!g->deps || !g->n_deps || !g->cap_deps) {
        graph_free(g);
        return -ENOMEM;
    }
    return 0;
}

void graph_free(dep_graph *g)
{
    for (size_t i = 0; g->deps && i < g->n; i++) free(g->deps[i]);
    free(g->deps);
    free(g->n_deps);
    free(g->cap_deps);
    *g = (dep_graph){0};
}

int graph_add_edge(dep_graph *g, size_t from, size_t to)
{
    for (size_t i = 0; i < g->n_deps[from]; i++)
        if (g->deps[from][i] == to) return 0;
    if (g->n_deps[from] == g->cap_deps[from]) {
        size_t cap = g->cap_deps[from] ? g->cap_deps[from] * 2 : 4;
        size_t *grown = realloc(g->deps[from], cap * sizeof(*grown));
        if (!grown) return -ENOMEM;
        g->deps[from] = grown;
        g->cap_deps[from] = cap;
    }
    g->deps[from][g->n_deps[from]++] = to;
    return 0;
}

int graph_reverse(const dep_graph *g, dep_graph *rev)
{
    int rc = graph_init(rev, g->n);
    for (size_t v = 0; rc == 0 && v < g->n; v++)
        for (size_t i = 0; rc == 0 && i < g->n_deps[v]; i++)
            rc = graph_add_edge(rev, g->deps[v][i], v);
    if (rc < 0) graph_free(rev);
    return rc;
}

enum { WHITE, GREY, BLACK };

int graph_find_cycles(const dep_graph *g, graph_cycle_fn found, void *ctx)
{
    unsigned char *color = calloc(g->n ? g->n : 1, 1);
    size_t *stack = malloc((g->n ? g->n : 1) * sizeof(*stack)); /* the current path */
    size_t *next = calloc(g->n ? g->n : 1, sizeof(*next));      /* next edge to follow */
    int cycles = 0;
    if (!color || !stack || !next) {
        cycles = -ENOMEM;
        goto out;
    }
    for (size_t root = 0; root < g->n; root++) {
        if (color[root] != WHITE) continue;
        size_t depth = 0;
        stack[depth++] = root;
        color[root] = GREY;
        while (depth) {
            size_t v = stack[depth - 1];
            if (next[v] == g->n_deps[v]) {
                color[v] = BLACK;
                depth--;
                continue;
            }
            size_t w = g->deps[v][next[v]++];
            if (color[w] == WHITE) {
                color[w] = GREY;
                stack[depth++] = w;
            } else if (color[w] == GREY) {
                /* A back edge v -> w: the path from w to v is a cycle. */
                size_t start = depth - 1;
                while (stack[start] != w) start--;
                found(stack + start, depth - start, ctx);
                cycles++;
            }
        }
    }
out:
    free(color);
    free(stack);
    free(next);
    return cycles;
}

int graph_closure(const dep_graph *g, size_t root, bool *mark)
{
    size_t *todo = malloc((g->n ? g->n : 1) * sizeof(*todo));
    if (!todo) return -ENOMEM;
    size_t len = 0;
    if (!mark[root]) {
        mark[root] = true;
        todo[len++] = root;
    }
    while (len) {
        size_t v = todo[--len];
        for (size_t i = 0; i < g->n_deps[v]; i++) {
            size_t w = g->deps[v][i];
            if (!mark[w]) {
                mark[w] = true;
                todo[len++] = w;
            }
        }
    }
    free(todo);
    return 0;
}

/* A min-heap of ready nodes ordered by the caller's before(). */
typedef struct {
    size_t *items;
    size_t len;
    graph_cmp_fn before;
    void *ctx;
} ready_heap;

static void heap_push(ready_heap *h, size_t v)
{
    size_t i = h->len++;
    h->items[i] = v;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->before(h->items[i], h->items[parent], h->ctx) >= 0) break;
        size_t t = h->items[i];
        h->items[i] = h->items[parent];
        h->items[parent] = t;
        i = parent;
    }
}

static size_t heap_pop(ready_heap *h)
{
    size_t top = h->items[0];
    h->items[0] = h->items[--h->len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->len && h->before(h->items[l], h->items[m], h->ctx) < 0) m = l;
        if (r < h->len && h->before(h->items[r], h->items[m], h->ctx) < 0) m = r;
        if (m == i) break;
        size_t t = h->items[i];
        h->items[i] = h->items[m];
        h->items[m] = t;
        i = m;
    }
    return top;
}

int graph_topo_order(const dep_graph *g, const bool *include, graph_cmp_fn before, void *ctx,
                     size_t *order, size_t *count)
{
    size_t n = g->n ? g->n : 1;
    size_t *waiting = calloc(n, sizeof(*waiting)); /* unmet dependencies per node */
    size_t *dependents_start = calloc(n + 1, sizeof(*dependents_start));
    size_t *dependents = NULL;
    ready_heap heap = {.items = malloc(n * sizeof(size_t)), .before = before, .ctx = ctx};
    int rc = 0;
    if (!waiting || !dependents_start || !heap.items) {
        rc = -ENOMEM;
        goto out;
    }
    /* Reverse the edges once (counting sort) so each placed node wakes its
     * dependents in time proportional to their number. */
    size_t edges = 0;
    for (size_t v = 0; v < g->n; v++) {
        if (include && !include[v]) continue;
        for (size_t i = 0; i < g->n_deps[v]; i++) {
            size_t w = g->deps[v][i];
            if (include && !include[w]) continue;
            waiting[v]++;
            dependents_start[w + 1]++;
            edges++;
        }
    }
    for (size_t v = 0; v < g->n; v++) dependents_start[v + 1] += dependents_start[v];
    dependents = malloc((edges ? edges : 1) * sizeof(*dependents));
    size_t *fill = calloc(n, sizeof(*fill));
    if (!dependents || !fill) {
        free(fill);
        rc = -ENOMEM;
        goto out;
    }
    for (size_t v = 0; v < g->n; v++) {
        if (include && !include[v]) continue;
        for (size_t i = 0; i < g->n_deps[v]; i++) {
            size_t w = g->deps[v][i];
            if (include && !include[w]) continue;
            dependents[dependents_start[w] + fill[w]++] = v;
        }
    }
    free(fill);

    size_t wanted = 0, placed = 0;
    for (size_t v = 0; v < g->n; v++) {
        if (include && !include[v]) continue;
        wanted++;
        if (waiting[v] == 0) heap_push(&heap, v);
    }
    while (heap.len) {
        size_t v = heap_pop(&heap);
        order[placed++] = v;
        for (size_t i = dependents_start[v]; i < dependents_start[v + 1]; i++)
            if (--waiting[dependents[i]] == 0) heap_push(&heap, dependents[i]);
    }
    *count = placed;
    if (placed != wanted) rc = -ELOOP;
out:
    free(waiting);
    free(dependents_start);
    free(dependents);
    free(heap.items);
    return rc;
}
