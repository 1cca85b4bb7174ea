/* deps.c — the services' dependency graph and start order (see deps.h). */
#include "model/deps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int deps_graph(const registry *r, dep_graph *g)
{
    int rc = graph_init(g, r->n_services);
    for (size_t i = 0; rc == 0 && i < r->n_services; i++) {
        char **deps = r->services[i]->dependencies;
        for (size_t k = 0; rc == 0 && deps && deps[k]; k++) {
            long j = registry_service_index(r, deps[k]);
            if (j >= 0) rc = graph_add_edge(g, i, (size_t)j);
        }
    }
    if (rc < 0) graph_free(g);
    return rc;
}

static int start_before(size_t a, size_t b, void *ctx)
{
    const registry *r = ctx;
    const service_spec *x = r->services[a], *y = r->services[b];
    if (x->startup.start_order != y->startup.start_order)
        return x->startup.start_order < y->startup.start_order ? -1 : 1;
    return strcmp(x->name, y->name);
}

int deps_start_order(const registry *r, const dep_graph *g, const bool *include, size_t *order,
                     size_t *count)
{
    return graph_topo_order(g, include, start_before, (void *)r, order, count);
}
