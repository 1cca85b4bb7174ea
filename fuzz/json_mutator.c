/* json_mutator.c — one change to a parsed JSON tree (json_mutator.h). */
#include "json_mutator.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 1024
#define MAX_SLOTS 4096

static const char *words[MAX_WORDS];
static size_t n_words;

/* Values a caller of tend sends, beyond the document's names. */
static const char *const values[] = {
    "2.0",        "web",     "db",      "hello",     "/bin/sleep",  "1000",
    "/bin/sh",    "-c",      "exit 3",  "/bin/true", "/bin/false",  "sh",
    "bash",       "python3", "SIGTERM", "SIGKILL",   "SIGHUP",      "oneshot",
    "process",    "binary",  "remote",  "docker",    "always",      "never",
    "on-failure", "start",   "stop",    "ignore",    "running",     "failed",
    "/",          "nobody",  "root",    "",          "127.0.0.1:1", "http://127.0.0.1:1/",
    "*",          "../x",    "a b",     "\xc3\xa9",  "${HOME}",
};

static const json_int_t integers[] = {
    0, 1, -1, 2, 3, 7, 100, 1000, 65535, 2147483647, -2147483648LL, INT64_MAX, INT64_MIN};
static const double reals[] = {0.0, 0.001, 0.5, -1.5, 3.0, 1e9, 1e308, -1e308};

static void add_word(const char *w)
{
    for (size_t i = 0; i < n_words; i++)
        if (strcmp(words[i], w) == 0) return;
    if (n_words < MAX_WORDS) words[n_words++] = strdup(w);
}

/* Names and enum strings anywhere in the document. */
static void collect(json_t *node)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(node)) {
        json_t *name = json_object_get(node, "name");
        if (json_is_string(name)) add_word(json_string_value(name));
        json_t *props = json_object_get(node, "properties");
        json_object_foreach(props, key, item) add_word(key);
        json_t *choices = json_object_get(node, "enum");
        json_array_foreach(choices, i, item) if (json_is_string(item))
            add_word(json_string_value(item));
        json_object_foreach(node, key, item) collect(item);
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, item) collect(item);
    }
}

void json_mutator_init(const char *openrpc_text)
{
    json_t *doc = json_loads(openrpc_text, 0, NULL);
    collect(doc);
    json_decref(doc);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) add_word(values[i]);
    add_word("jsonrpc"), add_word("method"), add_word("params"), add_word("id");
}

typedef struct {
    uint64_t state;
} rng;

static uint64_t next(rng *r)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return r->state;
}

static size_t pick(rng *r, size_t n)
{
    return n ? (size_t)(next(r) % n) : 0;
}

static const char *word(rng *r)
{
    return words[pick(r, n_words)];
}

static json_t *random_value(rng *r, int depth)
{
    switch (pick(r, depth > 1 ? 6 : 8)) {
    case 0: return json_integer(integers[pick(r, sizeof(integers) / sizeof(integers[0]))]);
    case 1: return json_real(reals[pick(r, sizeof(reals) / sizeof(reals[0]))]);
    case 2: return json_boolean(pick(r, 2));
    case 3: return json_null();
    case 4:
    case 5: return json_string(word(r));
    case 6: {
        json_t *o = json_object();
        for (size_t i = pick(r, 3) + 1; i > 0; i--)
            json_object_set_new(o, word(r), random_value(r, depth + 1));
        return o;
    }
    default: {
        json_t *a = json_array();
        for (size_t i = pick(r, 3) + 1; i > 0; i--)
            json_array_append_new(a, random_value(r, depth + 1));
        return a;
    }
    }
}

/* A place in the tree: the root (parent NULL), a member or an element. */
typedef struct {
    json_t *parent;
    const char *key;
    size_t index;
    json_t *value;
} slot;

static void list_slots(json_t *parent, slot *slots, size_t *n)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(parent)) {
        json_object_foreach(parent, key, item)
        {
            if (*n == MAX_SLOTS) return;
            slots[(*n)++] = (slot){parent, key, 0, item};
            list_slots(item, slots, n);
        }
    } else if (json_is_array(parent)) {
        json_array_foreach(parent, i, item)
        {
            if (*n == MAX_SLOTS) return;
            slots[(*n)++] = (slot){parent, NULL, i, item};
            list_slots(item, slots, n);
        }
    }
}

static void put(json_t **root, const slot *s, json_t *value)
{
    if (!s->parent) {
        json_decref(*root);
        *root = value;
    } else if (s->key) {
        json_object_set_new(s->parent, s->key, value);
    } else {
        json_array_set_new(s->parent, s->index, value);
    }
}

static json_t *nudged(rng *r, json_t *v)
{
    /* Wrapping arithmetic: INT64_MAX + 1 is a fine thing to send. */
    uint64_t n = (uint64_t)json_integer_value(v);
    switch (pick(r, 4)) {
    case 0: return json_integer((json_int_t)(n + 1));
    case 1: return json_integer((json_int_t)(n - 1));
    case 2: return json_integer((json_int_t)(0 - n));
    default: return json_real((double)n + 0.5);
    }
}

/* One change at slot s. */
static void change(rng *r, json_t **root, slot *s)
{
    switch (pick(r, 8)) {
    case 0: put(root, s, random_value(r, 1)); break;
    case 1: put(root, s, json_string(word(r))); break;
    case 2:
        if (s->parent && s->key)
            json_object_del(s->parent, s->key);
        else if (s->parent)
            json_array_remove(s->parent, s->index);
        break;
    case 3:
        if (json_is_object(s->value))
            json_object_set_new(s->value, word(r), random_value(r, 1));
        else if (json_is_array(s->value) && json_array_size(s->value))
            json_array_append_new(s->value, json_deep_copy(json_array_get(
                                                s->value, pick(r, json_array_size(s->value)))));
        else if (json_is_array(s->value))
            json_array_append_new(s->value, random_value(r, 1));
        break;
    case 4:
        if (s->parent && s->key) {
            json_t *keep = json_incref(s->value);
            json_object_del(s->parent, s->key);
            json_object_set_new(s->parent, word(r), keep);
        }
        break;
    case 5:
        if (json_is_integer(s->value)) put(root, s, nudged(r, s->value));
        break;
    case 6: {
        /* The whole request into a batch, or one member of a batch alone. */
        if (json_is_array(*root) && json_array_size(*root)) {
            json_t *one = json_incref(json_array_get(*root, pick(r, json_array_size(*root))));
            json_decref(*root);
            *root = one;
        } else {
            json_t *batch = json_pack("[O, O]", *root, *root);
            json_decref(*root);
            *root = batch;
        }
        break;
    }
    default:
        if (json_is_object(s->value) && json_object_get(s->value, "id"))
            json_object_del(s->value, "id"); /* a notification */
        else if (json_is_object(s->value))
            json_object_set_new(s->value, "id", json_integer((json_int_t)pick(r, 100)));
        break;
    }
}

size_t json_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!root) return 0;
    rng r = {.state = ((uint64_t)seed << 1) | 1};
    static slot slots[MAX_SLOTS];
    size_t n = 1;
    slots[0] = (slot){NULL, NULL, 0, root};
    list_slots(root, slots, &n);
    change(&r, &root, &slots[pick(&r, n)]);
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(root);
    size_t len = text ? strlen(text) : 0;
    if (!text || len > max_size || len == 0) {
        free(text);
        return 0;
    }
    memcpy(data, text, len);
    free(text);
    return len;
}
