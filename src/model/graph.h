/* graph.h — dependency graphs over nodes 0..n-1: cycles, closures, order.
 *
 * Pure logic, no I/O. An edge from -> to means "from depends on to", so a
 * start order lists `to` before `from`. Used for inter-service
 * dependencies and for the depends_on edges between a service's actions.
 */
#ifndef TEND_MODEL_GRAPH_H
#define TEND_MODEL_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t n;
    size_t **deps; /* deps[i]: the nodes i depends on, in insertion order */
    size_t *n_deps;
    size_t *cap_deps;
} dep_graph;

int graph_init(dep_graph *g, size_t n);
void graph_free(dep_graph *g);
/* from depends on to. Returns 0 or -ENOMEM. Duplicate edges are kept once. */
int graph_add_edge(dep_graph *g, size_t from, size_t to);

/* Calls found() once for each cycle a depth-first walk meets (one per
 * back edge): cycle[0] depends on cycle[1], ..., cycle[len-1] on cycle[0].
 * A self-dependency is a cycle of length 1. Returns the number found, or
 * -ENOMEM. */
typedef void (*graph_cycle_fn)(const size_t *cycle, size_t len, void *ctx);
int graph_find_cycles(const dep_graph *g, graph_cycle_fn found, void *ctx);

/* The same nodes with every edge turned around: rev->deps[i] lists the
 * nodes that depend on i, in ascending order. */
int graph_reverse(const dep_graph *g, dep_graph *rev);

/* Marks root and everything it depends on, directly or not. */
int graph_closure(const dep_graph *g, size_t root, bool *mark);

/* Orders the nodes with include[i] set (all nodes if include is NULL) so
 * that dependencies come first; among nodes that are ready together, the
 * smallest by before() comes first. Edges to excluded nodes are ignored.
 * Writes the order to order[] and its length to *count. Returns 0, -ELOOP
 * if the included nodes have a cycle, or -ENOMEM. */
typedef int (*graph_cmp_fn)(size_t a, size_t b, void *ctx);
int graph_topo_order(const dep_graph *g, const bool *include, graph_cmp_fn before, void *ctx,
                     size_t *order, size_t *count);

#endif
