/* paths.c — where the CLI finds the registry, and loading it for a command. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

char *cli_config_path(const char *from_option)
{
    if (from_option) return strdup(from_option);
    char *path = NULL;
    const char *home = getenv("TEND_HOME");
    if (home && *home) {
        if (asprintf(&path, "%s/services.toml", home) < 0) return NULL;
        return path;
    }
    if (geteuid() == 0) return strdup("/etc/tend/services.toml");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *user_home = getenv("HOME");
    int n = -1;
    if (xdg && *xdg)
        n = asprintf(&path, "%s/tend/services.toml", xdg);
    else if (user_home && *user_home)
        n = asprintf(&path, "%s/.config/tend/services.toml", user_home);
    return n < 0 ? NULL : path;
}

registry *cli_load_registry(const char *path)
{
    diag_list diags;
    diag_init(&diags, path);
    registry *r = registry_load_file(path, &diags);
    if (!r) {
        diag_sort(&diags);
        diag_print(&diags, stderr);
        if (diags.len > 1) fprintf(stderr, "%zu errors\n", diags.len);
    }
    diag_free(&diags);
    return r;
}

bool cli_fancy(FILE *out)
{
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (no_color && *no_color) return false;
    if (term && strcmp(term, "dumb") == 0) return false;
    return isatty(fileno(out));
}

int cli_config_options(int argc, char **argv, const char *usage, const char **config, bool *json)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': *config = optarg; break;
        case 'j': *json = true; break;
        case 'A': break; /* these commands never start a daemon anyway */
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    return -1;
}
