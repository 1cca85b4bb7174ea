/* Unit tests: dependency graphs — cycles, closures, priority order. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/graph.h"

typedef struct {
    size_t found;
    size_t last[8];
    size_t last_len;
} cycles_seen;

static void remember_cycle(const size_t *cycle, size_t len, void *ctx)
{
    cycles_seen *c = ctx;
    c->found++;
    c->last_len = len;
    memcpy(c->last, cycle, len * sizeof(*cycle));
}

static int by_index(size_t a, size_t b, void *ctx)
{
    (void)ctx;
    return a < b ? -1 : a > b;
}

static int by_reverse_index(size_t a, size_t b, void *ctx)
{
    (void)ctx;
    return a > b ? -1 : a < b;
}

static void test_acyclic_graph_has_no_cycles(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 4), 0);
    graph_add_edge(&g, 3, 1);
    graph_add_edge(&g, 3, 2);
    graph_add_edge(&g, 1, 0);
    graph_add_edge(&g, 2, 0);
    cycles_seen c = {0};
    assert_int_equal(graph_find_cycles(&g, remember_cycle, &c), 0);
    graph_free(&g);
}

static void test_cycle_is_reported_as_a_path(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 4), 0);
    graph_add_edge(&g, 0, 1); /* 0 -> 1 -> 2 -> 0, and 3 hangs off 2 */
    graph_add_edge(&g, 1, 2);
    graph_add_edge(&g, 2, 0);
    graph_add_edge(&g, 2, 3);
    cycles_seen c = {0};
    assert_int_equal(graph_find_cycles(&g, remember_cycle, &c), 1);
    assert_int_equal(c.last_len, 3);
    assert_int_equal(c.last[0], 0);
    assert_int_equal(c.last[1], 1);
    assert_int_equal(c.last[2], 2);
    graph_free(&g);
}

static void test_self_dependency_is_a_cycle_of_one(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 2), 0);
    graph_add_edge(&g, 1, 1);
    cycles_seen c = {0};
    assert_int_equal(graph_find_cycles(&g, remember_cycle, &c), 1);
    assert_int_equal(c.last_len, 1);
    assert_int_equal(c.last[0], 1);
    graph_free(&g);
}

static void test_order_puts_dependencies_first_then_priority(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 5), 0);
    graph_add_edge(&g, 0, 4); /* 0 needs 4: 4 first although it sorts last */
    graph_add_edge(&g, 1, 0);
    size_t order[5], count = 0;
    assert_int_equal(graph_topo_order(&g, NULL, by_index, NULL, order, &count), 0);
    assert_int_equal(count, 5);
    size_t expected[] = {2, 3, 4, 0, 1};
    assert_memory_equal(order, expected, sizeof(expected));
    assert_int_equal(graph_topo_order(&g, NULL, by_reverse_index, NULL, order, &count), 0);
    size_t reversed[] = {4, 3, 2, 0, 1};
    assert_memory_equal(order, reversed, sizeof(reversed));
    graph_free(&g);
}

static void test_order_of_a_closure_ignores_the_rest(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 6), 0);
    graph_add_edge(&g, 5, 3);
    graph_add_edge(&g, 3, 1);
    graph_add_edge(&g, 4, 3);
    bool mark[6] = {0};
    assert_int_equal(graph_closure(&g, 5, mark), 0);
    size_t order[6], count = 0;
    assert_int_equal(graph_topo_order(&g, mark, by_index, NULL, order, &count), 0);
    assert_int_equal(count, 3);
    size_t expected[] = {1, 3, 5};
    assert_memory_equal(order, expected, sizeof(expected));
    graph_free(&g);
}

static void test_order_refuses_a_cycle(void **state)
{
    (void)state;
    dep_graph g;
    assert_int_equal(graph_init(&g, 3), 0);
    graph_add_edge(&g, 0, 1);
    graph_add_edge(&g, 1, 0);
    size_t order[3], count = 0;
    assert_int_equal(graph_topo_order(&g, NULL, by_index, NULL, order, &count), -ELOOP);
    assert_int_equal(count, 1); /* only node 2 could be placed */
    graph_free(&g);
}

static void test_reverse_lists_dependents(void **state)
{
    (void)state;
    dep_graph g, rev;
    assert_int_equal(graph_init(&g, 4), 0);
    graph_add_edge(&g, 1, 0);
    graph_add_edge(&g, 3, 0);
    graph_add_edge(&g, 2, 0);
    assert_int_equal(graph_reverse(&g, &rev), 0);
    assert_int_equal(rev.n_deps[0], 3);
    size_t expected[] = {1, 2, 3};
    assert_memory_equal(rev.deps[0], expected, sizeof(expected));
    graph_free(&g);
    graph_free(&rev);
}

static void test_long_chain_does_not_recurse(void **state)
{
    (void)state;
    enum { N = 200000 };
    dep_graph g;
    assert_int_equal(graph_init(&g, N), 0);
    for (size_t i = 1; i < N; i++) graph_add_edge(&g, i, i - 1);
    cycles_seen c = {0};
    assert_int_equal(graph_find_cycles(&g, remember_cycle, &c), 0);
    size_t *order = malloc(N * sizeof(*order)), count = 0;
    assert_int_equal(graph_topo_order(&g, NULL, by_index, NULL, order, &count), 0);
    assert_int_equal(count, N);
    assert_int_equal(order[N - 1], N - 1);
    free(order);
    graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acyclic_graph_has_no_cycles),
        cmocka_unit_test(test_cycle_is_reported_as_a_path),
        cmocka_unit_test(test_self_dependency_is_a_cycle_of_one),
        cmocka_unit_test(test_order_puts_dependencies_first_then_priority),
        cmocka_unit_test(test_order_of_a_closure_ignores_the_rest),
        cmocka_unit_test(test_order_refuses_a_cycle),
        cmocka_unit_test(test_reverse_lists_dependents),
        cmocka_unit_test(test_long_chain_does_not_recurse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
