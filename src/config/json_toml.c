/* json_toml.c — JSON values into TOML value trees (see json_toml.h). */
#include "config/json_toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is no spec; refusing it keeps recursion bounded. */
#define MAX_DEPTH 64

static toml_value *convert(const json_t *j, const char *path, int depth, char *err, size_t errlen);

static toml_value *new_value(toml_type type)
{
    toml_value *v = calloc(1, sizeof(toml_value));
    if (v) v->type = type;
    return v;
}

static toml_value *convert_object(const json_t *j, const char *path, int depth, char *err,
                                  size_t errlen)
{
    toml_value *t = new_value(TOML_TABLE);
    if (!t) return NULL;
    size_t n = json_object_size(j);
    t->u.table.entries = calloc(n ? n : 1, sizeof(toml_entry));
    if (!t->u.table.entries) goto bad;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value)
    {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
        toml_value *v = convert(value, sub, depth + 1, err, errlen);
        if (!v) goto bad;
        toml_entry *e = &t->u.table.entries[t->u.table.len];
        e->key = strdup(key);
        e->key_len = strlen(key);
        e->value = v;
        t->u.table.len++;
        if (!e->key) goto bad;
    }
    t->u.table.cap = n;
    return t;
bad:
    toml_free(t);
    return NULL;
}

static toml_value *convert_array(const json_t *j, const char *path, int depth, char *err,
                                 size_t errlen)
{
    toml_value *a = new_value(TOML_ARRAY);
    if (!a) return NULL;
    size_t n = json_array_size(j);
    a->u.array.items = calloc(n ? n : 1, sizeof(toml_value *));
    if (!a->u.array.items) goto bad;
    for (size_t i = 0; i < n; i++) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        toml_value *v = convert(json_array_get(j, i), sub, depth + 1, err, errlen);
        if (!v) goto bad;
        a->u.array.items[a->u.array.len++] = v;
    }
    a->u.array.cap = n;
    return a;
bad:
    toml_free(a);
    return NULL;
}

static toml_value *convert(const json_t *j, const char *path, int depth, char *err, size_t errlen)
{
    if (depth > MAX_DEPTH) {
        snprintf(err, errlen, "'%s': nested too deep", path);
        return NULL;
    }
    toml_value *v = NULL;
    switch (json_typeof(j)) {
    case JSON_OBJECT: return convert_object(j, path, depth, err, errlen);
    case JSON_ARRAY: return convert_array(j, path, depth, err, errlen);
    case JSON_STRING:
        if (!(v = new_value(TOML_STRING))) break;
        v->u.string.len = json_string_length(j);
        v->u.string.ptr = malloc(v->u.string.len + 1);
        if (!v->u.string.ptr) {
            free(v);
            return NULL;
        }
        memcpy(v->u.string.ptr, json_string_value(j), v->u.string.len + 1);
        return v;
    case JSON_INTEGER:
        if ((v = new_value(TOML_INTEGER))) v->u.integer = json_integer_value(j);
        return v;
    case JSON_REAL:
        if ((v = new_value(TOML_FLOAT))) v->u.number = json_real_value(j);
        return v;
    case JSON_TRUE:
    case JSON_FALSE:
        if ((v = new_value(TOML_BOOL))) v->u.boolean = json_is_true(j);
        return v;
    case JSON_NULL:
        snprintf(err, errlen, "'%s': null is not a value here; leave the key out instead",
                 *path ? path : "(document)");
        return NULL;
    }
    snprintf(err, errlen, "out of memory");
    return NULL;
}

toml_value *json_to_toml(const json_t *json, char *err, size_t errlen)
{
    if (!json_is_object(json)) {
        snprintf(err, errlen, "expected an object");
        return NULL;
    }
    err[0] = '\0';
    toml_value *v = convert(json, "", 0, err, errlen);
    if (!v && !err[0]) snprintf(err, errlen, "out of memory");
    return v;
}
