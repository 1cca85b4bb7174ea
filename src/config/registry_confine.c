/* registry_confine.c — the keys that confine a process before it runs:
 * no_new_privileges, umask and limits, read for [actions.NAME] and
 * deployment.binary alike (read_process_keys calls them), and written
 * back as JSON in the shape they are read in. */
#include "config/registry_confine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const limit_forms[] = {"soft", "hard", NULL};

/* "0027", "027", "77": octal digits, at most 0777. */
static void read_umask(reader *rd, const toml_value *t, const char *path, process_keys *k)
{
    const toml_value *v = toml_get(t, "umask");
    if (!v) return;
    char where[512];
    key_path(where, sizeof(where), path, "umask");
    const char *s = v->type == TOML_STRING ? v->u.string.ptr : NULL;
    char *end = NULL;
    unsigned long mask = s && *s && strspn(s, "01234567") == strlen(s) ? strtoul(s, &end, 8) : 0;
    if (!s || !end || *end || strlen(s) > 4 || mask > 0777) {
        read_error(
            rd, v->pos, "'%s': expected an octal umask as a string, such as \"0027\" or \"077\"%s",
            where, v->type == TOML_INTEGER ? " (a number would be read as decimal: quote it)" : "");
        return;
    }
    k->umask = (int)mask;
}

/* One value of a limit: a non-negative integer or "infinity". */
static bool limit_value(reader *rd, const toml_value *v, const char *where, rlim_t *out)
{
    if (v->type == TOML_INTEGER && v->u.integer >= 0) {
        *out = (rlim_t)v->u.integer;
        return true;
    }
    if (v->type == TOML_STRING && strcmp(v->u.string.ptr, "infinity") == 0) {
        *out = RLIM_INFINITY;
        return true;
    }
    read_error(rd, v->pos, "'%s': expected a number of at least 0 or \"infinity\"", where);
    return false;
}

/* nofile = 1024 (soft and hard), or nofile = { soft = 1024, hard = 4096 }. */
static bool read_limit(reader *rd, const toml_entry *e, const char *where, rlimit_entry *out)
{
    const toml_value *v = e->value;
    if (v->type != TOML_TABLE) {
        if (!limit_value(rd, v, where, &out->soft)) return false;
        out->hard = out->soft;
        return true;
    }
    read_check_keys(rd, v, where, limit_forms);
    const toml_value *soft = toml_get(v, "soft"), *hard = toml_get(v, "hard");
    if (!soft || !hard) {
        read_error(rd, v->pos, "'%s': give both 'soft' and 'hard' (or one number for both)", where);
        return false;
    }
    char sub[640];
    snprintf(sub, sizeof(sub), "%.600s.soft", where);
    if (!limit_value(rd, soft, sub, &out->soft)) return false;
    snprintf(sub, sizeof(sub), "%.600s.hard", where);
    if (!limit_value(rd, hard, sub, &out->hard)) return false;
    if (out->soft > out->hard) {
        read_error(rd, soft->pos, "'%s': the soft limit cannot be above the hard one", where);
        return false;
    }
    return true;
}

static void read_limits(reader *rd, const toml_value *t, const char *path, process_keys *k)
{
    const toml_value *limits = NULL;
    if (read_table(rd, t, path, "limits", &limits) != READ_OK) return;
    char lpath[512];
    key_path(lpath, sizeof(lpath), path, "limits");
    read_check_keys(rd, limits, lpath, rlimit_names);
    rlimit_entry *items = calloc(limits->u.table.len + 1, sizeof(*items));
    if (!items) {
        rd->diags->alloc_failed = 1;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < limits->u.table.len; i++) {
        const toml_entry *e = &limits->u.table.entries[i];
        int resource = rlimit_from_name(e->key);
        if (resource < 0) continue; /* reported above */
        char where[600];
        key_path(where, sizeof(where), lpath, e->key);
        items[n].resource = resource;
        if (read_limit(rd, e, where, &items[n])) n++;
    }
    free(k->limits);
    k->limits = items;
    k->n_limits = n;
}

void read_confinement(reader *rd, const toml_value *t, const char *path, process_keys *k)
{
    read_bool(rd, t, path, "no_new_privileges", &k->no_new_privileges);
    read_umask(rd, t, path, k);
    read_limits(rd, t, path, k);
}

rlimit_entry *limits_copy(const rlimit_entry *limits, size_t n)
{
    rlimit_entry *out = calloc(n + 1, sizeof(*out));
    if (out && n) memcpy(out, limits, n * sizeof(*out));
    return out;
}

static json_t *limit_json(rlim_t value)
{
    return value == RLIM_INFINITY ? json_string("infinity") : json_integer((json_int_t)value);
}

void confinement_to_json(json_t *o, bool no_new_privileges, int umask, const rlimit_entry *limits,
                         size_t n_limits)
{
    json_object_set_new(o, "no_new_privileges", json_boolean(no_new_privileges));
    if (umask >= 0) {
        char text[16];
        snprintf(text, sizeof(text), "%04o", (unsigned)umask & 0777);
        json_object_set_new(o, "umask", json_string(text));
    }
    json_t *table = json_object();
    for (size_t i = 0; i < n_limits; i++)
        json_object_set_new(table, rlimit_name(limits[i].resource),
                            json_pack("{s:o, s:o}", "soft", limit_json(limits[i].soft), "hard",
                                      limit_json(limits[i].hard)));
    json_object_set_new(o, "limits", table);
}
