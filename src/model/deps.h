/* deps.h — dependency questions about the services of a registry:
 * the graph, the start order, what a service needs and who needs it.
 *
 * Start order is the one rule every part of tend uses: dependencies first,
 * then lower startup.start_order, then name. Pure logic over a validated
 * (acyclic) registry; no I/O.
 */
#ifndef TEND_MODEL_DEPS_H
#define TEND_MODEL_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/registry.h"
#include "model/graph.h"

/* Edge i -> j when service i lists service j in dependencies. */
int deps_graph(const registry *r, dep_graph *g);

/* The start order of the services marked in include (all if NULL). order
 * must hold r->n_services entries. Returns 0 or a negative errno. */
int deps_start_order(const registry *r, const dep_graph *g, const bool *include, size_t *order,
                     size_t *count);

#endif
