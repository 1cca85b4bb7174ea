/* registry_check.c — whole-registry checks once every table is read:
 * unique names, references that resolve, no contradictions, no cycles.
 * Problems are reported at the list item that causes them. */
#include "config/registry_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/strv.h"
#include "config/suggest.h"
#include "model/graph.h"

toml_pos source_item_pos(const toml_value *table, const char *key, size_t i)
{
    const toml_value *v = table ? toml_get(table, key) : NULL;
    if (v && v->type == TOML_ARRAY && i < v->u.array.len) return v->u.array.items[i]->pos;
    if (v) return v->pos;
    return table ? table->pos : (toml_pos){0, 0};
}

static toml_pos spec_to_toml(spec_pos p)
{
    return (toml_pos){p.line, p.col};
}

/* "; did you mean 'x'?" when one of the names is close, else "". */
static void name_hint(char *out, size_t size, const char *word, const strmap *names,
                      const char *exclude)
{
    const char **candidates = calloc(names->len + 1, sizeof(*candidates));
    out[0] = '\0';
    if (!candidates) return;
    size_t n = 0;
    /* A service is no hint for its own dependency. */
    for (size_t i = 0; i < names->cap; i++)
        if (names->slots[i].key && (!exclude || strcmp(names->slots[i].key, exclude) != 0))
            candidates[n++] = names->slots[i].key;
    const char *hint = suggest_closest(word, candidates);
    if (hint) snprintf(out, size, "; did you mean '%s'?", hint);
    free(candidates);
}

static void index_services(reader *rd, registry *r)
{
    for (size_t i = 0; i < r->n_services; i++) {
        service_spec *s = r->services[i];
        if (strcmp(s->name, "_jobs") == 0)
            read_error(rd, spec_to_toml(s->pos),
                       "service name '_jobs' is reserved: standalone jobs keep their logs in "
                       "logs/_jobs/");
        long at = registry_service_index(r, s->name);
        if (at >= 0) {
            const service_spec *first = r->services[at];
            read_error(rd, spec_to_toml(s->pos),
                       "duplicate service name '%s' (first used at %d:%d)", s->name,
                       first->pos.line, first->pos.col);
            continue;
        }
        if (strmap_put(&r->service_index, s->name, (void *)(uintptr_t)(i + 1), NULL) < 0)
            rd->diags->alloc_failed = 1;
    }
}

static void index_actions(reader *rd, registry *r)
{
    for (size_t i = 0; i < r->n_actions; i++) {
        action_spec *a = r->actions[i];
        long at = registry_action_index(r, a->name);
        const action_spec *first = at >= 0 ? r->actions[at] : NULL;
        if (first && a->from_service && first->from_service) continue; /* a duplicate service */
        if (first && a->from_service) {
            read_error(rd, spec_to_toml(a->pos),
                       "service '%s' runs its deployment.binary as an action named '%s', but "
                       "[actions.%s] already exists at %d:%d",
                       a->from_service, a->name, a->name, first->pos.line, first->pos.col);
            continue;
        }
        if (first) continue; /* TOML itself forbids two [actions.x] tables */
        if (strmap_put(&r->action_index, a->name, (void *)(uintptr_t)(i + 1), NULL) < 0)
            rd->diags->alloc_failed = 1;
    }
}

/* dependencies resolve; nothing both depended on and conflicted with. */
static void check_service_references(reader *rd, registry *r, const registry_sources *src)
{
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *s = r->services[i];
        for (size_t k = 0; s->dependencies && s->dependencies[k]; k++) {
            const char *dep = s->dependencies[k];
            if (registry_service_index(r, dep) >= 0) continue;
            char hint[128];
            name_hint(hint, sizeof(hint), dep, &r->service_index, s->name);
            read_error(rd, source_item_pos(src->services[i], "dependencies", k),
                       "service '%s' depends on '%s', which is not a service%s", s->name, dep,
                       hint);
        }
        for (size_t k = 0; s->conflicts && s->conflicts[k]; k++) {
            const char *other = s->conflicts[k];
            if (strv_contains(s->dependencies, other))
                read_error(rd, source_item_pos(src->services[i], "conflicts", k),
                           "service '%s' both depends on and conflicts with '%s'", s->name, other);
            else if (strcmp(other, s->name) == 0)
                read_error(rd, source_item_pos(src->services[i], "conflicts", k),
                           "service '%s' cannot conflict with itself", s->name);
        }
    }
}

typedef struct {
    reader *rd;
    registry *r;
    const registry_sources *src;
    bool actions; /* which graph: actions or services */
} cycle_report;

static void report_cycle(const size_t *cycle, size_t len, void *ctx)
{
    cycle_report *c = ctx;
    buf text = {0};
    for (size_t i = 0; i <= len; i++) {
        size_t node = cycle[i % len];
        const char *name = c->actions ? c->r->actions[node]->name : c->r->services[node]->name;
        buf_printf(&text, "%s%s", i ? " -> " : "", name);
    }
    /* Point at the edge that closes the cycle: last -> first. */
    size_t last = cycle[len - 1];
    const char *first_name =
        c->actions ? c->r->actions[cycle[0]]->name : c->r->services[cycle[0]]->name;
    toml_pos pos;
    if (c->actions) {
        const action_spec *a = c->r->actions[last];
        const toml_value *deps =
            c->src->actions[last] ? toml_get(c->src->actions[last], "depends_on") : NULL;
        const char *key = strv_contains(a->requires, first_name) ? "requires" : "after";
        char **list = strcmp(key, "requires") == 0 ? a->requires : a->after;
        size_t k = 0;
        while (list && list[k] && strcmp(list[k], first_name) != 0) k++;
        pos = deps ? source_item_pos(deps, key, k) : spec_to_toml(a->pos);
    } else {
        const service_spec *s = c->r->services[last];
        size_t k = 0;
        while (s->dependencies[k] && strcmp(s->dependencies[k], first_name) != 0) k++;
        pos = source_item_pos(c->src->services[last], "dependencies", k);
    }
    read_error(c->rd, pos, "%s cycle: %s", c->actions ? "action dependency" : "dependency",
               text.data ? text.data : "");
    buf_free(&text);
}

static void check_service_cycles(reader *rd, registry *r, const registry_sources *src)
{
    dep_graph g;
    if (graph_init(&g, r->n_services) < 0) {
        rd->diags->alloc_failed = 1;
        return;
    }
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *s = r->services[i];
        for (size_t k = 0; s->dependencies && s->dependencies[k]; k++) {
            long j = registry_service_index(r, s->dependencies[k]);
            if (j >= 0) graph_add_edge(&g, i, (size_t)j);
        }
    }
    cycle_report c = {.rd = rd, .r = r, .src = src, .actions = false};
    graph_find_cycles(&g, report_cycle, &c);
    graph_free(&g);
}

/* A service's actions exist, and each one's depends_on stays inside it. */
static void check_service_actions(reader *rd, registry *r, const registry_sources *src)
{
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *s = r->services[i];
        for (size_t k = 0; s->actions && s->actions[k]; k++) {
            const char *name = s->actions[k];
            long ai = registry_action_index(r, name);
            const action_spec *a = ai >= 0 ? r->actions[ai] : NULL;
            toml_pos pos = source_item_pos(src->services[i], "actions", k);
            for (size_t j = 0; j < k; j++)
                if (strcmp(s->actions[j], name) == 0)
                    read_error(rd, pos, "service '%s' lists action '%s' twice", s->name, name);
            if (!a) {
                char hint[128];
                name_hint(hint, sizeof(hint), name, &r->action_index, NULL);
                read_error(rd, pos, "service '%s' runs action '%s', which is not defined%s",
                           s->name, name, hint);
                continue;
            }
            char **lists[] = {a->requires, a->after};
            const char *keys[] = {"requires", "after"};
            for (int l = 0; l < 2; l++) {
                for (size_t d = 0; lists[l] && lists[l][d]; d++) {
                    const char *dep = lists[l][d];
                    if (strv_contains(s->actions, dep) || registry_action_index(r, dep) < 0)
                        continue;
                    const toml_value *deps =
                        src->actions[ai] ? toml_get(src->actions[ai], "depends_on") : NULL;
                    read_error(rd, deps ? source_item_pos(deps, keys[l], d) : pos,
                               "action '%s' depends on '%s', which is not one of service '%s''s "
                               "actions",
                               a->name, dep, s->name);
                }
            }
        }
    }
}

static void check_action_references(reader *rd, registry *r, const registry_sources *src)
{
    dep_graph g;
    if (graph_init(&g, r->n_actions) < 0) {
        rd->diags->alloc_failed = 1;
        return;
    }
    for (size_t i = 0; i < r->n_actions; i++) {
        const action_spec *a = r->actions[i];
        char **lists[] = {a->requires, a->after};
        const char *keys[] = {"requires", "after"};
        const toml_value *deps = src->actions[i] ? toml_get(src->actions[i], "depends_on") : NULL;
        for (int l = 0; l < 2; l++) {
            for (size_t k = 0; lists[l] && lists[l][k]; k++) {
                long target = registry_action_index(r, lists[l][k]);
                if (target >= 0) {
                    graph_add_edge(&g, i, (size_t)target);
                    continue;
                }
                char hint[128];
                name_hint(hint, sizeof(hint), lists[l][k], &r->action_index, a->name);
                read_error(rd, deps ? source_item_pos(deps, keys[l], k) : spec_to_toml(a->pos),
                           "action '%s' depends on '%s', which is not an action%s", a->name,
                           lists[l][k], hint);
            }
        }
    }
    cycle_report c = {.rd = rd, .r = r, .src = src, .actions = true};
    graph_find_cycles(&g, report_cycle, &c);
    graph_free(&g);
}

void registry_check(reader *rd, registry *r, const registry_sources *src)
{
    index_services(rd, r);
    index_actions(rd, r);
    check_service_references(rd, r, src);
    check_service_cycles(rd, r, src);
    check_service_actions(rd, r, src);
    check_action_references(rd, r, src);
}
