/* fuzz_toml.c — libFuzzer target: any bytes through the TOML parser, then a
 * walk over every value and a look-up of every key, then free. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const toml_value *v)
{
    size_t n = 1;
    if (v->type == TOML_TABLE) {
        for (size_t i = 0; i < v->u.table.len; i++) {
            const toml_entry *e = &v->u.table.entries[i];
            /* Keys holding NUL cannot be looked up by C string. */
            if (strlen(e->key) == e->key_len && toml_get(v, e->key) != e->value) __builtin_trap();
            n += walk(e->value);
        }
    } else if (v->type == TOML_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++) n += walk(v->u.array.items[i]);
    } else if (v->type == TOML_STRING) {
        n += v->u.string.ptr[v->u.string.len] == '\0';
    }
    if (v->pos.line < 1 || v->pos.col < 1) __builtin_trap();
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_error err;
    toml_value *root = toml_parse((const char *)data, size, &err);
    if (root) {
        walk(root);
        toml_free(root);
    } else if (err.pos.line < 1 || err.message[0] == '\0') {
        __builtin_trap();
    }
    return 0;
}
