/* compose_preflight.c — what a docker-compose service needs before a
 * start. The cheap checks (the daemon's): a compose tool is there, the
 * compose file can be read. With ask (the CLI's), the real thing, with
 * no side effect: the engine answers (`ENGINE info`), and the file
 * parses and names the service. Docker's tools say so themselves
 * (`config --quiet SERVICE`, which creates nothing). podman-compose 1.0.3 has
 * no `config`, and its --dry-run still creates the project's network, so
 * the file is read by the YAML parser podman-compose itself uses
 * (python3's yaml.safe_load, run by the interpreter of podman-compose's
 * own #! line), the file and the service's name given as arguments; it
 * also refuses a restart policy of the engine's for the service. The same
 * reading is the first step of every start (compose.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/adapters/compose_preflight.h"
#include "daemon/adapters/compose_tool.h"
#include "daemon/preflight_checks.h"

/* Reads the file and looks for the service, with no restart policy of
 * the engine's (tend's acts: the two cannot both); prints why not, exits 1.
 * (YAML 1.1 reads `restart: no` as false.) */
static const char yaml_check[] =
    "import sys, yaml\n"
    "try:\n"
    "    d = yaml.safe_load(open(sys.argv[1]))\n"
    "except Exception as e:\n"
    "    print('does not parse: ' + ' '.join(str(e).split()))\n"
    "    sys.exit(1)\n"
    "s = d.get('services') if isinstance(d, dict) else None\n"
    "if not isinstance(s, dict) or sys.argv[2] not in s:\n"
    "    print('has no service ' + repr(sys.argv[2]))\n"
    "    sys.exit(1)\n"
    "r = s[sys.argv[2]].get('restart') if isinstance(s[sys.argv[2]], dict) else None\n"
    "if r not in (None, False, 'no'):\n"
    "    print('gives ' + sys.argv[2] + ' restart: ' + str(r) + '; tend restarts it as its '\n"
    "          'startup.restart says, the engine must not: leave restart out')\n"
    "    sys.exit(1)\n";

/* The interpreter of program's #! line (python3 for podman-compose). */
static bool interpreter_of(const char *program, char *out, size_t size)
{
    FILE *f = fopen(program, "re");
    char line[512];
    bool ok = f && fgets(line, sizeof(line), f) && strncmp(line, "#!", 2) == 0;
    if (f) fclose(f);
    if (!ok) return false;
    char *words[3] = {NULL, NULL, NULL}, *save = NULL;
    int n = 0;
    for (char *w = strtok_r(line + 2, " \t\r\n", &save); w && n < 3;
         w = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = w;
    if (!words[0]) return false;
    const char *base = strrchr(words[0], '/');
    if (base && strcmp(base + 1, "env") == 0 && words[1]) {
        const char *const names[] = {words[1], NULL};
        return preflight_find_cli(names, out, size) != NULL;
    }
    snprintf(out, size, "%s", words[0]);
    return true;
}

char **compose_file_check(const compose_tool *t, const deployment_spec *d)
{
    if (t->kind != COMPOSE_PODMAN)
        return compose_tool_argv(t, d, "config", "--quiet", d->compose.service_name, NULL);
    char python[1024];
    if (!interpreter_of(t->program, python, sizeof(python))) return NULL;
    char **argv = NULL;
    const char *const words[] = {
        python, "-c", yaml_check, d->compose.compose_file, d->compose.service_name, NULL};
    for (size_t i = 0; words[i]; i++)
        if (strv_push(&argv, words[i]) < 0) {
            strv_free(argv);
            return NULL;
        }
    return argv;
}

static bool check_file_parses(const compose_tool *t, const deployment_spec *d, json_t *checks)
{
    const char *file = d->compose.compose_file;
    char words[512];
    char **argv = compose_file_check(t, d);
    if (!argv)
        return preflight_add(checks, "compose_file", false,
                             "Cannot tell which python runs %s, to read %s", t->program, file);
    int code = preflight_run(argv, 10, words, sizeof(words));
    strv_free(argv);
    if (code != 0)
        return preflight_add(checks, "compose_file", false, "Compose file %s %s", file,
                             words[0] ? words : "does not parse");
    return preflight_add(checks, "compose_file", true, "Compose file %s parses and has service %s",
                         file, d->compose.service_name);
}

bool compose_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks)
{
    (void)a;
    const deployment_spec *d = &s->deployment;
    compose_tool t;
    if (!compose_tool_pick(&t)) return preflight_add(checks, "container_cli", false, "%s", t.words);
    bool ok = true;
    if (ask) {
        char said[512];
        char *const argv[] = {t.engine, "info", NULL};
        if (preflight_run(argv, 10, said, sizeof(said)) != 0)
            ok = preflight_add(checks, "container_cli", false, "%s, but `%s info` failed: %s",
                               t.words, t.engine, said[0] ? said : "no output");
        else
            ok = preflight_add(checks, "container_cli", true, "%s; its engine answers", t.words);
    } else {
        ok = preflight_add(checks, "container_cli", true, "%s", t.words);
    }
    if (access(d->compose.compose_file, R_OK) != 0)
        return preflight_add(checks, "compose_file", false, "Compose file %s cannot be read: %s",
                             d->compose.compose_file, strerror(errno));
    if (!ask)
        return preflight_add(checks, "compose_file", true, "Compose file %s can be read",
                             d->compose.compose_file) &&
               ok;
    return check_file_parses(&t, d, checks) && ok;
}
