/* cmd_dependencies.c — `tend services dependencies [NAME]`: the dependency
 * tree, the start order and the reverse dependencies, read offline from
 * the registry file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "model/deps.h"

static const char dependencies_usage[] =
    "usage: tend services dependencies [NAME] [-c FILE]\n"
    "\n"
    "Prints the dependency tree, the order services start in (dependencies\n"
    "first, then startup.start_order, then name) and which services require\n"
    "each one. With NAME, only what concerns that service. Reads the registry\n"
    "file directly; no daemon is needed.\n"
    "\n"
    "  --json             {\"start_order\": [...], \"services\": [{name, type, category,\n"
    "                     start_order, dependencies, required_by}]}\n"
    "  -c, --config FILE  the registry (see tend validate --help)\n"
    "  -h, --help         this text\n";

typedef struct {
    const registry *r;
    const dep_graph *g;
    bool *expanded; /* subtrees already printed, shown once */
    const char *tee, *elbow, *pipe, *blank;
} tree_printer;

static void print_subtree(tree_printer *t, size_t v, buf *prefix)
{
    size_t n = t->g->n_deps[v];
    if (t->expanded[v] && n) {
        printf(" (dependencies shown above)\n");
        return;
    }
    putchar('\n');
    t->expanded[v] = true;
    for (size_t i = 0; i < n; i++) {
        size_t w = t->g->deps[v][i];
        bool last = i + 1 == n;
        printf("%s%s%s", prefix->data ? prefix->data : "", last ? t->elbow : t->tee,
               t->r->services[w]->name);
        size_t keep = prefix->len;
        buf_puts(prefix, last ? t->blank : t->pipe);
        print_subtree(t, w, prefix);
        prefix->len = keep;
        if (prefix->data) prefix->data[keep] = '\0';
    }
}

static void print_tree(tree_printer *t, size_t root)
{
    buf prefix = {0};
    printf("%s", t->r->services[root]->name);
    print_subtree(t, root, &prefix);
    buf_free(&prefix);
}

static void print_start_order(const registry *r, const size_t *order, size_t count)
{
    printf("\nStart order:\n");
    for (size_t i = 0; i < count; i++) {
        const service_spec *s = r->services[order[i]];
        printf("  %zu. %s (order: %d)\n", i + 1, s->name, s->startup.start_order);
    }
}

static void print_service_block(const registry *r, const dep_graph *rev, size_t v)
{
    const service_spec *s = r->services[v];
    printf("\n## %s\n", s->name);
    printf("- Type: %s\n", s->type ? s->type : "-");
    printf("- Category: %s\n", s->category ? s->category : "-");
    printf("- Depends on:%s\n", s->dependencies && s->dependencies[0] ? "" : " none");
    for (size_t i = 0; s->dependencies && s->dependencies[i]; i++)
        printf("  - %s\n", s->dependencies[i]);
    printf("- Required by:%s\n", rev->n_deps[v] ? "" : " none");
    for (size_t i = 0; i < rev->n_deps[v]; i++)
        printf("  - %s\n", r->services[rev->deps[v][i]]->name);
}

/* What both outputs need: the graph both ways and the start order of NAME's
 * closure (or of everything). */
typedef struct {
    dep_graph g, rev;
    bool *mark;
    size_t *order, count;
    long only; /* NAME's index, or -1 */
} deps_view;

static void view_close(deps_view *v)
{
    free(v->mark);
    free(v->order);
    graph_free(&v->g);
    graph_free(&v->rev);
}

static int view_open(const registry *r, const char *name, deps_view *v)
{
    *v = (deps_view){.only = name ? registry_service_index(r, name) : -1};
    if (name && v->only < 0) {
        fprintf(stderr, "tend services dependencies: no service named '%s' in %s\n", name, r->path);
        return EXIT_FAILED;
    }
    size_t n = r->n_services + 1;
    if (deps_graph(r, &v->g) < 0) return EXIT_FAILED;
    v->mark = calloc(n, sizeof(*v->mark));
    v->order = calloc(n, sizeof(*v->order));
    if (graph_reverse(&v->g, &v->rev) < 0) {
        graph_free(&v->g);
        free(v->mark);
        free(v->order);
        return EXIT_FAILED;
    }
    if (!v->mark || !v->order ||
        (v->only >= 0 && graph_closure(&v->g, (size_t)v->only, v->mark) < 0) ||
        deps_start_order(r, &v->g, v->only >= 0 ? v->mark : NULL, v->order, &v->count) < 0) {
        view_close(v);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

static int print_dependencies(const registry *r, const char *name)
{
    deps_view v;
    if (view_open(r, name, &v) != EXIT_OK) return EXIT_FAILED;
    size_t n = r->n_services;
    bool *expanded = calloc(n ? n : 1, sizeof(*expanded));
    if (!expanded) {
        view_close(&v);
        return EXIT_FAILED;
    }
    bool fancy = cli_fancy(stdout);
    tree_printer t = {
        .r = r,
        .g = &v.g,
        .expanded = expanded,
        .tee = fancy ? "├── " : "|-- ",
        .elbow = fancy ? "└── " : "`-- ",
        .pipe = fancy ? "│   " : "|   ",
        .blank = "    ",
    };
    printf("Dependency tree:\n");
    if (v.only >= 0) {
        print_tree(&t, (size_t)v.only);
    } else {
        /* Roots are the services nothing depends on. */
        for (size_t i = 0; i < n; i++)
            if (v.rev.n_deps[i] == 0) print_tree(&t, i);
    }
    print_start_order(r, v.order, v.count);
    if (v.only >= 0)
        print_service_block(r, &v.rev, (size_t)v.only);
    else
        for (size_t i = 0; i < n; i++) print_service_block(r, &v.rev, v.order[i]);
    free(expanded);
    view_close(&v);
    return EXIT_OK;
}

/* {"start_order": [...], "services": [{name, type, category, start_order,
 * dependencies, required_by}]}, for NAME's closure or everything. */
static int dependencies_json(const registry *r, const char *name)
{
    deps_view v;
    if (view_open(r, name, &v) != EXIT_OK) return EXIT_FAILED;
    json_t *names = json_array(), *services = json_array();
    for (size_t k = 0; k < v.count; k++) {
        size_t at = v.order[k];
        const service_spec *s = r->services[at];
        json_array_append_new(names, json_string(s->name));
        json_t *deps = json_array(), *by = json_array();
        for (size_t i = 0; s->dependencies && s->dependencies[i]; i++)
            json_array_append_new(deps, json_string(s->dependencies[i]));
        for (size_t i = 0; i < v.rev.n_deps[at]; i++)
            json_array_append_new(by, json_string(r->services[v.rev.deps[at][i]]->name));
        json_array_append_new(services, json_pack("{s:s, s:s?, s:s?, s:i, s:o, s:o}", "name",
                                                  s->name, "type", s->type, "category", s->category,
                                                  "start_order", s->startup.start_order,
                                                  "dependencies", deps, "required_by", by));
    }
    json_t *out = json_pack("{s:o, s:o}", "start_order", names, "services", services);
    char *text = json_dumps(out, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(out);
    view_close(&v);
    return EXIT_OK;
}

int cmd_dependencies(int argc, char **argv)
{
    const char *config = NULL;
    bool json = false;
    int done = cli_config_options(argc, argv, dependencies_usage, &config, &json);
    if (done >= 0) return done;
    if (argc - optind > 1) {
        fprintf(stderr, "tend services dependencies: one NAME at most\n%s", dependencies_usage);
        return EXIT_USAGE;
    }
    const char *name = optind < argc ? argv[optind] : NULL;
    registry *r = cli_registry_open(config, false, NULL);
    if (!r) return EXIT_FAILED;
    int rc = json ? dependencies_json(r, name) : print_dependencies(r, name);
    registry_free(r);
    return rc;
}
