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

static int print_dependencies(const registry *r, const char *name)
{
    long only = name ? registry_service_index(r, name) : -1;
    if (name && only < 0) {
        fprintf(stderr, "tend services dependencies: no service named '%s' in %s\n", name, r->path);
        return EXIT_FAILED;
    }
    dep_graph g, rev;
    if (deps_graph(r, &g) < 0) return EXIT_FAILED;
    if (graph_reverse(&g, &rev) < 0) {
        graph_free(&g);
        return EXIT_FAILED;
    }
    size_t n = r->n_services;
    bool *mark = calloc(n ? n : 1, sizeof(*mark));
    bool *expanded = calloc(n ? n : 1, sizeof(*expanded));
    size_t *order = calloc(n ? n : 1, sizeof(*order));
    size_t count = 0;
    int rc = EXIT_FAILED;
    if (!mark || !expanded || !order) goto out;
    if (only >= 0 && graph_closure(&g, (size_t)only, mark) < 0) goto out;
    if (deps_start_order(r, &g, only >= 0 ? mark : NULL, order, &count) < 0) goto out;

    bool fancy = cli_fancy(stdout);
    tree_printer t = {
        .r = r,
        .g = &g,
        .expanded = expanded,
        .tee = fancy ? "├── " : "|-- ",
        .elbow = fancy ? "└── " : "`-- ",
        .pipe = fancy ? "│   " : "|   ",
        .blank = "    ",
    };
    printf("Dependency tree:\n");
    if (only >= 0) {
        print_tree(&t, (size_t)only);
    } else {
        /* Roots are the services nothing depends on. */
        for (size_t i = 0; i < n; i++)
            if (rev.n_deps[i] == 0) print_tree(&t, i);
    }
    print_start_order(r, order, count);
    if (only >= 0)
        print_service_block(r, &rev, (size_t)only);
    else
        for (size_t i = 0; i < n; i++) print_service_block(r, &rev, order[i]);
    rc = EXIT_OK;
out:
    free(mark);
    free(expanded);
    free(order);
    graph_free(&g);
    graph_free(&rev);
    return rc;
}

/* {"start_order": [...], "services": [{name, type, category,
 * dependencies, required_by}]}, for NAME's closure or everything. */
static int dependencies_json(const registry *r, const char *name)
{
    long only = name ? registry_service_index(r, name) : -1;
    if (name && only < 0) {
        fprintf(stderr, "tend services dependencies: no service named '%s' in %s\n", name, r->path);
        return EXIT_FAILED;
    }
    dep_graph g, rev;
    if (deps_graph(r, &g) < 0) return EXIT_FAILED;
    if (graph_reverse(&g, &rev) < 0) {
        graph_free(&g);
        return EXIT_FAILED;
    }
    size_t n = r->n_services, count = 0;
    bool *mark = calloc(n + 1, sizeof(*mark));
    size_t *order = calloc(n + 1, sizeof(*order));
    if (mark && order && only >= 0) graph_closure(&g, (size_t)only, mark);
    if (mark && order) deps_start_order(r, &g, only >= 0 ? mark : NULL, order, &count);
    json_t *names = json_array(), *services = json_array();
    for (size_t k = 0; k < count; k++) {
        const service_spec *s = r->services[order[k]];
        json_array_append_new(names, json_string(s->name));
        json_t *deps = json_array(), *by = json_array();
        for (size_t i = 0; s->dependencies && s->dependencies[i]; i++)
            json_array_append_new(deps, json_string(s->dependencies[i]));
        for (size_t i = 0; i < rev.n_deps[order[k]]; i++)
            json_array_append_new(by, json_string(r->services[rev.deps[order[k]][i]]->name));
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
    free(mark);
    free(order);
    graph_free(&g);
    graph_free(&rev);
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
    char *path = cli_config_path(config);
    if (!path) {
        fputs("tend services dependencies: no registry location: pass -c FILE or set TEND_HOME\n",
              stderr);
        return EXIT_USAGE;
    }
    registry *r = cli_load_registry(path);
    free(path);
    if (!r) return EXIT_FAILED;
    int rc = json ? dependencies_json(r, name) : print_dependencies(r, name);
    registry_free(r);
    return rc;
}
