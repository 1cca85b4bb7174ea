/* toml.c — a TOML 1.0.0 parser (see toml.h).
 *
 * One pass over the bytes, recursive descent for values with a depth limit.
 * The input is checked as UTF-8 up front, so later code can treat every
 * byte >= 0x80 as part of a valid character. Tables carry flags that
 * enforce the spec's definition rules: a table is defined once, by a
 * [header] or by dotted keys, never both; inline tables and static arrays
 * are sealed. Positions are computed lazily from byte offsets.
 */
#include "config/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128

/* Table flags. */
enum {
    TABLE_HEADER = 1,   /* defined by a [header] or an [[array]] element */
    TABLE_DOTTED = 2,   /* created by dotted keys */
    TABLE_IMPLICIT = 4, /* created as the parent of a [header] */
    TABLE_INLINE = 8,   /* an inline table: sealed */
};
/* Array flags. */
enum { ARRAY_OF_TABLES = 1 };

typedef struct {
    const unsigned char *s;
    size_t len;
    size_t i;
    toml_error *err;
    int depth;
    /* Position cursor: line/col of byte offset pos_off, moved forward lazily. */
    size_t pos_off;
    int pos_line, pos_col;
    size_t text_start; /* after a byte order mark, which takes no column */
    int failed;
} parser;

/* ---- positions and errors ------------------------------------------------ */

/* line:col of byte offset off. The cursor moves forward with the parse;
 * a step back (a header's position, asked for after its keys) walks back
 * over the few bytes in between, never from the start of the file. */
static toml_pos pos_at(parser *p, size_t off)
{
    if (off > p->len) off = p->len;
    if (off < p->pos_off) {
        for (size_t i = off; i < p->pos_off; i++)
            if (p->s[i] == '\n') p->pos_line--;
        size_t line_start = off;
        while (line_start > p->text_start && p->s[line_start - 1] != '\n') line_start--;
        p->pos_col = 1;
        for (size_t i = line_start; i < off; i++)
            if ((p->s[i] & 0xC0) != 0x80) p->pos_col++;
        p->pos_off = off;
    }
    while (p->pos_off < off) {
        unsigned char c = p->s[p->pos_off++];
        if (c == '\n') {
            p->pos_line++;
            p->pos_col = 1;
        } else if ((c & 0xC0) != 0x80) {
            p->pos_col++;
        }
    }
    return (toml_pos){p->pos_line, p->pos_col};
}

__attribute__((format(printf, 3, 4))) static int fail_at(parser *p, size_t off, const char *fmt,
                                                         ...)
{
    if (p->failed) return -1;
    p->failed = 1;
    p->err->pos = pos_at(p, off);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
    va_end(ap);
    return -1;
}

#define fail(p, ...) fail_at((p), (p)->i, __VA_ARGS__)

/* ---- values ---------------------------------------------------------------- */

static toml_value *value_new(parser *p, toml_type type, size_t off)
{
    toml_value *v = calloc(1, sizeof(*v));
    if (!v) {
        fail_at(p, off, "out of memory");
        return NULL;
    }
    v->type = type;
    v->pos = pos_at(p, off);
    return v;
}

static void value_free(toml_value *v)
{
    if (!v) return;
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.entries[i].key);
            value_free(v->u.table.entries[i].value);
        }
        free(v->u.table.entries);
        free(v->u.table.index);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++) value_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case TOML_STRING: free(v->u.string.ptr); break;
    default: break;
    }
    free(v);
}

void toml_free(toml_value *root)
{
    value_free(root);
}

/* ---- table index ------------------------------------------------------------
 * Small tables are searched linearly; from INDEX_MIN entries on, an
 * open-addressing index of entry positions (+1, 0 = empty) keeps look-ups
 * O(1). The index is rebuilt whenever it would pass half full. */

#define INDEX_MIN 8

typedef struct {
    size_t cap; /* power of two */
    size_t slots[];
} table_index;

static size_t key_hash(const char *key, size_t len)
{
    size_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    return h;
}

static void index_insert(table_index *ix, const toml_entry *entries, size_t at)
{
    size_t j = key_hash(entries[at].key, entries[at].key_len) & (ix->cap - 1);
    while (ix->slots[j]) j = (j + 1) & (ix->cap - 1);
    ix->slots[j] = at + 1;
}

static int index_rebuild(toml_value *t, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2) cap *= 2;
    table_index *ix = calloc(1, sizeof(*ix) + cap * sizeof(size_t));
    if (!ix) return -1;
    ix->cap = cap;
    for (size_t i = 0; i < t->u.table.len; i++) index_insert(ix, t->u.table.entries, i);
    free(t->u.table.index);
    t->u.table.index = ix;
    return 0;
}

static toml_entry *table_find(const toml_value *t, const char *key, size_t len)
{
    const toml_entry *e = t->u.table.entries;
    const table_index *ix = t->u.table.index;
    if (!ix) {
        for (size_t i = 0; i < t->u.table.len; i++)
            if (e[i].key_len == len && memcmp(e[i].key, key, len) == 0) return (toml_entry *)&e[i];
        return NULL;
    }
    size_t j = key_hash(key, len) & (ix->cap - 1);
    for (; ix->slots[j]; j = (j + 1) & (ix->cap - 1)) {
        const toml_entry *c = &e[ix->slots[j] - 1];
        if (c->key_len == len && memcmp(c->key, key, len) == 0) return (toml_entry *)c;
    }
    return NULL;
}

/* Adds key (taking ownership) -> v; the caller has checked it is new. */
static toml_entry *table_add(parser *p, toml_value *t, char *key, size_t len, size_t key_off,
                             toml_value *v)
{
    if (t->u.table.len == t->u.table.cap) {
        size_t cap = t->u.table.cap ? t->u.table.cap * 2 : 4;
        toml_entry *grown = realloc(t->u.table.entries, cap * sizeof(*grown));
        if (!grown) goto nomem;
        t->u.table.entries = grown;
        t->u.table.cap = cap;
    }
    size_t at = t->u.table.len++;
    t->u.table.entries[at] =
        (toml_entry){.key = key, .key_len = len, .key_pos = pos_at(p, key_off), .value = v};
    table_index *ix = t->u.table.index;
    if (t->u.table.len >= INDEX_MIN && (!ix || t->u.table.len * 2 > ix->cap)) {
        if (index_rebuild(t, t->u.table.len) < 0) {
            t->u.table.len--;
            goto nomem;
        }
    } else if (ix) {
        index_insert(ix, t->u.table.entries, at);
    }
    return &t->u.table.entries[at];
nomem:
    free(key);
    value_free(v);
    fail_at(p, key_off, "out of memory");
    return NULL;
}

static int array_push(parser *p, toml_value *a, toml_value *v)
{
    if (a->u.array.len == a->u.array.cap) {
        size_t cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
        toml_value **grown = realloc(a->u.array.items, cap * sizeof(*grown));
        if (!grown) {
            value_free(v);
            return fail(p, "out of memory");
        }
        a->u.array.items = grown;
        a->u.array.cap = cap;
    }
    a->u.array.items[a->u.array.len++] = v;
    return 0;
}

/* ---- lexical helpers ------------------------------------------------------- */

static int peek(const parser *p)
{
    return p->i < p->len ? p->s[p->i] : -1;
}

static int peek_at(const parser *p, size_t ahead)
{
    return p->i + ahead < p->len ? p->s[p->i + ahead] : -1;
}

static void skip_ws(parser *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

static int is_newline(const parser *p)
{
    return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

static void skip_newline(parser *p)
{
    p->i += peek(p) == '\r' ? 2 : 1;
}

/* Control characters other than tab may not appear in comments or strings. */
static int is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F;
}

/* A comment runs to the end of the line. */
static int skip_comment(parser *p)
{
    if (peek(p) != '#') return 0;
    for (p->i++; p->i < p->len && p->s[p->i] != '\n'; p->i++) {
        int c = p->s[p->i];
        if (c == '\r' && peek_at(p, 1) == '\n') continue;
        if (is_control(c)) return fail(p, "control character 0x%02X in a comment", c);
    }
    return 0;
}

/* Whitespace, newlines and comments, as allowed inside arrays. */
static int skip_ws_comments_newlines(parser *p)
{
    for (;;) {
        skip_ws(p);
        if (peek(p) == '#') {
            if (skip_comment(p) < 0) return -1;
        } else if (is_newline(p)) {
            skip_newline(p);
        } else if (peek(p) == '\r') {
            return fail(p, "a carriage return must be followed by a newline");
        } else {
            return 0;
        }
    }
}

static int check_utf8(parser *p)
{
    const unsigned char *s = p->s;
    size_t i = 0, n = p->len;
    while (i < n) {
        unsigned c = s[i];
        size_t extra;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return fail_at(p, i, "invalid UTF-8 byte 0x%02X", c);
        }
        if (i + extra >= n) return fail_at(p, i, "truncated UTF-8 sequence");
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return fail_at(p, i, "invalid UTF-8 sequence");
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail_at(p, i, "invalid UTF-8 sequence");
        i += extra + 1;
    }
    return 0;
}

/* ---- strings ----------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} sbuf;

static int sbuf_put(parser *p, sbuf *b, const void *bytes, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return fail(p, "out of memory");
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int sbuf_put_codepoint(parser *p, sbuf *b, unsigned long cp)
{
    unsigned char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return sbuf_put(p, b, out, n);
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* p->i is at the backslash. */
static int parse_escape(parser *p, sbuf *b)
{
    size_t start = p->i;
    int c = peek_at(p, 1);
    p->i += 2;
    const char *simple = NULL;
    switch (c) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case 'u':
    case 'U': {
        int digits = c == 'u' ? 4 : 8;
        unsigned long cp = 0;
        for (int k = 0; k < digits; k++) {
            int h = hex_value(peek(p));
            if (h < 0) return fail_at(p, start, "\\%c needs %d hexadecimal digits", c, digits);
            cp = cp * 16 + (unsigned long)h;
            p->i++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail_at(p, start, "\\%c%0*lX is not a Unicode scalar value", c, digits, cp);
        return sbuf_put_codepoint(p, b, cp);
    }
    default:
        if (c < 0x20 || c >= 0x7F) return fail_at(p, start, "invalid escape");
        return fail_at(p, start, "invalid escape '\\%c'", c);
    }
    return sbuf_put(p, b, simple, 1);
}

/* Any string form; p->i is at its opening quote. */
static int parse_string(parser *p, sbuf *b, int allow_multiline)
{
    size_t start = p->i;
    char q = (char)peek(p);
    int literal = q == '\'';
    int multi = peek_at(p, 1) == q && peek_at(p, 2) == q;
    if (multi && !allow_multiline) return fail(p, "a key cannot be a multi-line string");
    p->i += multi ? 3 : 1;
    if (multi && is_newline(p)) skip_newline(p); /* a newline right after """ is trimmed */
    for (;;) {
        int c = peek(p);
        if (c < 0) return fail_at(p, start, "unterminated string");
        if (c == q) {
            if (!multi) {
                p->i++;
                break;
            }
            if (peek_at(p, 1) == q && peek_at(p, 2) == q) {
                /* Up to two quotes may stand right before the closing three. */
                int extra = 0;
                while (extra < 2 && peek_at(p, 3 + (size_t)extra) == q) extra++;
                for (int k = 0; k < extra; k++)
                    if (sbuf_put(p, b, &q, 1) < 0) return -1;
                p->i += 3 + (size_t)extra;
                break;
            }
            if (sbuf_put(p, b, &q, 1) < 0) return -1;
            p->i++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (!multi)
                return fail_at(p, start,
                               "string not closed on its line (use \"\"\" for "
                               "multi-line strings)");
            if (c == '\r' && peek_at(p, 1) != '\n')
                return fail(p, "a carriage return must be followed by a newline");
            if (c == '\r') p->i++;
            p->i++;
            if (sbuf_put(p, b, "\n", 1) < 0) return -1;
            continue;
        }
        if (c == '\\' && !literal) {
            if (multi) {
                /* A line-ending backslash trims the newline and the blanks after it. */
                size_t j = p->i + 1;
                while (j < p->len && (p->s[j] == ' ' || p->s[j] == '\t')) j++;
                if (j < p->len && (p->s[j] == '\n' ||
                                   (p->s[j] == '\r' && j + 1 < p->len && p->s[j + 1] == '\n'))) {
                    p->i = j;
                    while (p->i < p->len) {
                        skip_ws(p);
                        if (is_newline(p))
                            skip_newline(p);
                        else
                            break;
                    }
                    continue;
                }
            }
            if (parse_escape(p, b) < 0) return -1;
            continue;
        }
        if (is_control(c)) return fail(p, "control character 0x%02X in a string", c);
        /* Copy a run of ordinary bytes at once. */
        size_t run = p->i;
        while (run < p->len) {
            int d = p->s[run];
            if (d == q || (d == '\\' && !literal) || d == '\n' || d == '\r' || is_control(d)) break;
            run++;
        }
        if (sbuf_put(p, b, p->s + p->i, run - p->i) < 0) return -1;
        p->i = run;
    }
    if (!b->data && sbuf_put(p, b, "", 0) < 0) return -1;
    return 0;
}

/* ---- keys ------------------------------------------------------------------ */

typedef struct {
    char *key;
    size_t len;
    size_t off;
} key_part;

typedef struct {
    key_part parts[64];
    size_t n;
} dotted_key;

static void key_free(dotted_key *k)
{
    for (size_t i = 0; i < k->n; i++) free(k->parts[i].key);
    k->n = 0;
}

static int is_bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int parse_simple_key(parser *p, key_part *out)
{
    size_t start = p->i;
    int c = peek(p);
    sbuf b = {0};
    if (c == '"' || c == '\'') {
        if (parse_string(p, &b, 0) < 0) {
            free(b.data);
            return -1;
        }
    } else if (is_bare_key_char(c)) {
        while (is_bare_key_char(peek(p))) p->i++;
        if (sbuf_put(p, &b, p->s + start, p->i - start) < 0) return -1;
    } else if (c < 0 || c == '\n' || c == '\r') {
        return fail(p, "expected a key");
    } else if (c == '=') {
        return fail(p, "expected a key before '='");
    } else {
        return fail(p, "invalid character in a key");
    }
    *out = (key_part){.key = b.data, .len = b.len, .off = start};
    return 0;
}

static int parse_key(parser *p, dotted_key *k)
{
    k->n = 0;
    for (;;) {
        if (k->n == sizeof(k->parts) / sizeof(k->parts[0])) {
            key_free(k);
            return fail(p, "a key may have at most 64 dotted parts");
        }
        if (parse_simple_key(p, &k->parts[k->n]) < 0) {
            key_free(k);
            return -1;
        }
        k->n++;
        skip_ws(p);
        if (peek(p) != '.') return 0;
        p->i++;
        skip_ws(p);
    }
}

/* ---- numbers and dates ----------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Digits of a base with single underscores between them; returns the count
 * of characters consumed or -1. */
static long scan_digits(const unsigned char *s, size_t n, size_t i, int (*ok)(int))
{
    size_t start = i;
    if (i >= n || !ok(s[i])) return -1;
    while (i < n) {
        if (ok(s[i])) {
            i++;
        } else if (s[i] == '_' && i + 1 < n && ok(s[i + 1]) && i > start) {
            i++;
        } else {
            break;
        }
    }
    return (long)(i - start);
}

static int is_hex(int c)
{
    return hex_value(c) >= 0;
}
static int is_oct(int c)
{
    return c >= '0' && c <= '7';
}
static int is_bin(int c)
{
    return c == '0' || c == '1';
}

/* The value's token: the bytes up to a delimiter. */
static size_t token_end(const parser *p)
{
    size_t j = p->i;
    while (j < p->len) {
        int c = p->s[j];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}' ||
            c == '#')
            break;
        j++;
    }
    return j;
}

static int parse_integer_text(parser *p, size_t start, size_t end, int64_t *out)
{
    const unsigned char *s = p->s;
    size_t i = start;
    int neg = 0, base = 10;
    if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
    int (*ok)(int) = is_digit;
    if (end - i > 1 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
        if (i != start)
            return fail_at(p, start, "a hexadecimal, octal or binary integer has no sign");
        base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
        ok = base == 16 ? is_hex : base == 8 ? is_oct : is_bin;
        i += 2;
    } else if (end - i > 1 && s[i] == '0') {
        return fail_at(p, start, "an integer cannot have leading zeros");
    }
    long n = scan_digits(s, end, i, ok);
    if (n < 0 || i + (size_t)n != end) return fail_at(p, start, "invalid integer");
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < end; i++) {
        if (s[i] == '_') continue;
        unsigned d = (unsigned)hex_value(s[i]);
        if (v > (limit - d) / (unsigned)base)
            return fail_at(p, start, "integer %.*s out of range", (int)(end - start), s + start);
        v = v * (unsigned)base + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int parse_float_text(parser *p, size_t start, size_t end, double *out)
{
    const unsigned char *s = p->s;
    size_t i = start;
    if (s[i] == '+' || s[i] == '-') i++;
    size_t rest = end - i;
    if ((rest == 3 && memcmp(s + i, "inf", 3) == 0) ||
        (rest == 3 && memcmp(s + i, "nan", 3) == 0)) {
        double v = s[i] == 'i' ? INFINITY : NAN;
        *out = s[start] == '-' ? -v : v;
        return 0;
    }
    long n = scan_digits(s, end, i, is_digit);
    if (n < 0) return fail_at(p, start, "invalid number");
    if (n > 1 && s[i] == '0') return fail_at(p, start, "a number cannot have leading zeros");
    i += (size_t)n;
    int has_frac = 0, has_exp = 0;
    if (i < end && s[i] == '.') {
        n = scan_digits(s, end, i + 1, is_digit);
        if (n < 0) return fail_at(p, start, "a decimal point must be followed by digits");
        i += 1 + (size_t)n;
        has_frac = 1;
    }
    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < end && (s[i] == '+' || s[i] == '-')) i++;
        n = scan_digits(s, end, i, is_digit);
        if (n < 0) return fail_at(p, start, "an exponent needs digits");
        i += (size_t)n;
        has_exp = 1;
    }
    if (i != end || !(has_frac || has_exp)) return fail_at(p, start, "invalid number");
    char text[128];
    size_t k = 0;
    for (size_t j = start; j < end && k + 1 < sizeof(text); j++)
        if (s[j] != '_') text[k++] = (char)s[j];
    if (end - start >= sizeof(text)) return fail_at(p, start, "number too long");
    text[k] = '\0';
    *out = strtod(text, NULL);
    return 0;
}

static int two_digits(const unsigned char *s, size_t n, size_t i, int *out)
{
    if (i + 2 > n || !is_digit(s[i]) || !is_digit(s[i + 1])) return -1;
    *out = (s[i] - '0') * 10 + (s[i + 1] - '0');
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
    return days[month - 1];
}

/* HH:MM:SS[.frac] at i; returns the end offset or 0. */
static size_t scan_time(const unsigned char *s, size_t n, size_t i, toml_datetime *dt)
{
    if (two_digits(s, n, i, &dt->hour) < 0 || i + 2 >= n || s[i + 2] != ':' ||
        two_digits(s, n, i + 3, &dt->minute) < 0 || i + 5 >= n || s[i + 5] != ':' ||
        two_digits(s, n, i + 6, &dt->second) < 0)
        return 0;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60) return 0;
    i += 8;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i])) return 0;
        int digits = 0;
        dt->nanosecond = 0;
        while (i < n && is_digit(s[i])) {
            if (digits < 9) dt->nanosecond = dt->nanosecond * 10 + (s[i] - '0'), digits++;
            i++;
        }
        while (digits++ < 9) dt->nanosecond *= 10;
    }
    return i;
}

/* p->i is at a date-time, date or time; end is the token's end, but a date
 * may continue after one space with a time. */
static toml_value *parse_datetime(parser *p, size_t end)
{
    const unsigned char *s = p->s;
    size_t start = p->i, i = start, n = p->len;
    toml_datetime dt = {0};
    toml_type type;
    if (end - start >= 3 && s[start + 2] == ':') {
        i = scan_time(s, n, i, &dt);
        if (!i || i != end) {
            fail_at(p, start, "invalid local time");
            return NULL;
        }
        type = TOML_TIME_LOCAL;
    } else {
        int y1, y2;
        if (two_digits(s, n, i, &y1) < 0 || two_digits(s, n, i + 2, &y2) < 0 || i + 4 >= n ||
            s[i + 4] != '-' || two_digits(s, n, i + 5, &dt.month) < 0 || i + 7 >= n ||
            s[i + 7] != '-' || two_digits(s, n, i + 8, &dt.day) < 0) {
            fail_at(p, start, "invalid date");
            return NULL;
        }
        dt.year = y1 * 100 + y2;
        if (dt.month < 1 || dt.month > 12 || dt.day < 1 ||
            dt.day > days_in_month(dt.year, dt.month)) {
            fail_at(p, start, "invalid date");
            return NULL;
        }
        i += 10;
        type = TOML_DATE_LOCAL;
        int has_time = i < n && (s[i] == 'T' || s[i] == 't');
        if (!has_time && i + 1 < n && s[i] == ' ' && is_digit(s[i + 1]) && i == end) has_time = 1;
        if (has_time) {
            i = scan_time(s, n, i + 1, &dt);
            if (!i) {
                fail_at(p, start, "invalid date-time");
                return NULL;
            }
            type = TOML_DATETIME_LOCAL;
            if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
                type = TOML_DATETIME;
                i++;
            } else if (i < n && (s[i] == '+' || s[i] == '-')) {
                int oh, om;
                if (two_digits(s, n, i + 1, &oh) < 0 || i + 3 >= n || s[i + 3] != ':' ||
                    two_digits(s, n, i + 4, &om) < 0 || oh > 23 || om > 59) {
                    fail_at(p, start, "invalid time offset");
                    return NULL;
                }
                dt.offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
                type = TOML_DATETIME;
                i += 6;
            }
        }
        if (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',' ||
                       s[i] == ']' || s[i] == '}' || s[i] == '#')) {
            fail_at(p, start, "invalid date-time");
            return NULL;
        }
    }
    toml_value *v = value_new(p, type, start);
    if (!v) return NULL;
    v->u.datetime = dt;
    p->i = i;
    return v;
}

static int looks_like_datetime(const parser *p, size_t end)
{
    const unsigned char *s = p->s + p->i;
    size_t n = end - p->i;
    if (n >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        s[4] == '-')
        return 1;
    return n >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

static toml_value *parse_number_or_date(parser *p)
{
    size_t start = p->i, end = token_end(p);
    if (end == start) {
        fail(p, "expected a value");
        return NULL;
    }
    if (looks_like_datetime(p, end)) return parse_datetime(p, end);
    const unsigned char *s = p->s;
    int is_float = 0;
    int hex = end - start > 1 && s[start] == '0' && s[start + 1] == 'x';
    for (size_t j = start; j < end; j++) {
        if (s[j] == '.' || ((s[j] == 'e' || s[j] == 'E') && !hex)) is_float = 1;
    }
    size_t body = start + (s[start] == '+' || s[start] == '-');
    if (end - body == 3 && (memcmp(s + body, "inf", 3) == 0 || memcmp(s + body, "nan", 3) == 0))
        is_float = 1;
    toml_value *v = value_new(p, is_float ? TOML_FLOAT : TOML_INTEGER, start);
    if (!v) return NULL;
    int rc = is_float ? parse_float_text(p, start, end, &v->u.number)
                      : parse_integer_text(p, start, end, &v->u.integer);
    if (rc < 0) {
        value_free(v);
        return NULL;
    }
    p->i = end;
    return v;
}

/* ---- values ---------------------------------------------------------------- */

static toml_value *parse_value(parser *p);
static int parse_keyval(parser *p, toml_value *table, unsigned dotted_flags);

static toml_value *parse_array(parser *p)
{
    toml_value *a = value_new(p, TOML_ARRAY, p->i);
    if (!a) return NULL;
    p->i++;
    for (;;) {
        if (skip_ws_comments_newlines(p) < 0) goto bad;
        if (peek(p) == ']') break;
        toml_value *item = parse_value(p);
        if (!item || array_push(p, a, item) < 0) goto bad;
        if (skip_ws_comments_newlines(p) < 0) goto bad;
        if (peek(p) == ',') {
            p->i++;
            continue;
        }
        if (peek(p) == ']') break;
        fail(p, peek(p) < 0 ? "unterminated array" : "expected ',' or ']' in an array");
        goto bad;
    }
    p->i++;
    return a;
bad:
    value_free(a);
    return NULL;
}

static void seal_inline(toml_value *v)
{
    if (v->type == TOML_TABLE) {
        v->u.table.flags |= TABLE_INLINE;
        for (size_t i = 0; i < v->u.table.len; i++) seal_inline(v->u.table.entries[i].value);
    }
}

static toml_value *parse_inline_table(parser *p)
{
    toml_value *t = value_new(p, TOML_TABLE, p->i);
    if (!t) return NULL;
    p->i++;
    skip_ws(p);
    if (peek(p) == '}') {
        p->i++;
        t->u.table.flags = TABLE_INLINE;
        return t;
    }
    for (;;) {
        skip_ws(p);
        if (parse_keyval(p, t, TABLE_DOTTED) < 0) goto bad;
        skip_ws(p);
        if (peek(p) == ',') {
            p->i++;
            skip_ws(p);
            if (peek(p) == '}') {
                fail(p, "trailing comma in an inline table");
                goto bad;
            }
            continue;
        }
        if (peek(p) == '}') break;
        fail(p, is_newline(p) || peek(p) == '\r' ? "newline in an inline table"
                : peek(p) < 0                    ? "unterminated inline table"
                                                 : "expected ',' or '}' in an inline table");
        goto bad;
    }
    p->i++;
    seal_inline(t);
    return t;
bad:
    value_free(t);
    return NULL;
}

static int match_word(const parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->i + n > p->len || memcmp(p->s + p->i, word, n) != 0) return 0;
    int next = p->i + n < p->len ? p->s[p->i + n] : -1;
    return !(is_bare_key_char(next) || next == '.' || next == ':');
}

static toml_value *parse_value(parser *p)
{
    if (p->depth >= MAX_DEPTH) {
        fail(p, "values nested more than %d deep", MAX_DEPTH);
        return NULL;
    }
    int c = peek(p);
    toml_value *v = NULL;
    p->depth++;
    if (c == '"' || c == '\'') {
        size_t start = p->i;
        sbuf b = {0};
        if (parse_string(p, &b, 1) == 0 && (v = value_new(p, TOML_STRING, start))) {
            v->u.string.ptr = b.data;
            v->u.string.len = b.len;
        } else {
            free(b.data);
        }
    } else if (c == '[') {
        v = parse_array(p);
    } else if (c == '{') {
        v = parse_inline_table(p);
    } else if (c == 't' && match_word(p, "true")) {
        if ((v = value_new(p, TOML_BOOL, p->i))) v->u.boolean = true, p->i += 4;
    } else if (c == 'f' && match_word(p, "false")) {
        if ((v = value_new(p, TOML_BOOL, p->i))) v->u.boolean = false, p->i += 5;
    } else if (c == '+' || c == '-' || is_digit(c) || (c == 'i' && match_word(p, "inf")) ||
               (c == 'n' && match_word(p, "nan"))) {
        v = parse_number_or_date(p);
    } else if (c < 0 || c == '\n' || c == '\r' || c == '#') {
        fail(p, "expected a value");
    } else {
        fail(p, "invalid value");
    }
    p->depth--;
    return v;
}

/* ---- tables and key/value pairs -------------------------------------------- */

static int key_error(parser *p, const key_part *k, const char *what)
{
    return fail_at(p, k->off, "%s '%.*s'", what, (int)(k->len > 60 ? 60 : k->len), k->key);
}

/* Walks the dotted parts of a key/value line below table, creating tables
 * as needed; returns the table that gets the last part. */
static toml_value *descend_dotted(parser *p, toml_value *t, dotted_key *k)
{
    for (size_t i = 0; i + 1 < k->n; i++) {
        key_part *part = &k->parts[i];
        toml_entry *e = table_find(t, part->key, part->len);
        if (!e) {
            toml_value *sub = value_new(p, TOML_TABLE, part->off);
            if (!sub) return NULL;
            sub->u.table.flags = TABLE_DOTTED;
            e = table_add(p, t, part->key, part->len, part->off, sub);
            part->key = NULL;
            if (!e) return NULL;
        } else {
            toml_value *v = e->value;
            if (v->type != TOML_TABLE) {
                key_error(p, part, "cannot add keys below the value");
                return NULL;
            }
            if (v->u.table.flags & (TABLE_INLINE | TABLE_HEADER)) {
                key_error(p, part, "cannot extend the table defined elsewhere");
                return NULL;
            }
            v->u.table.flags = (v->u.table.flags & ~(unsigned)TABLE_IMPLICIT) | TABLE_DOTTED;
        }
        t = e->value;
    }
    return t;
}

/* key = value into table. */
static int parse_keyval(parser *p, toml_value *table, unsigned dotted_flags)
{
    (void)dotted_flags;
    dotted_key k;
    if (parse_key(p, &k) < 0) return -1;
    int rc = -1;
    if (peek(p) != '=') {
        fail(p, "expected '=' after a key");
        goto out;
    }
    p->i++;
    skip_ws(p);
    toml_value *t = descend_dotted(p, table, &k);
    if (!t) goto out;
    key_part *last = &k.parts[k.n - 1];
    toml_entry *dup = table_find(t, last->key, last->len);
    if (dup) {
        fail_at(p, last->off, "duplicate key '%.*s' (first defined at %d:%d)",
                (int)(last->len > 60 ? 60 : last->len), last->key, dup->key_pos.line,
                dup->key_pos.col);
        goto out;
    }
    toml_value *v = parse_value(p);
    if (!v) goto out;
    if (!table_add(p, t, last->key, last->len, last->off, v)) {
        last->key = NULL;
        goto out;
    }
    last->key = NULL;
    rc = 0;
out:
    key_free(&k);
    return rc;
}

/* [a.b.c] or [[a.b.c]]: returns the table that following keys go into. */
static toml_value *parse_table_header(parser *p, toml_value *root)
{
    size_t start = p->i;
    int is_array = peek_at(p, 1) == '[';
    p->i += is_array ? 2 : 1;
    skip_ws(p);
    dotted_key k;
    if (parse_key(p, &k) < 0) return NULL;
    toml_value *result = NULL;
    if (peek(p) != ']' || (is_array && peek_at(p, 1) != ']')) {
        fail(p, is_array ? "expected ']]' to close the table header"
                         : "expected ']' to close the table header");
        goto out;
    }
    p->i += is_array ? 2 : 1;

    toml_value *t = root;
    for (size_t i = 0; i + 1 < k.n; i++) {
        key_part *part = &k.parts[i];
        toml_entry *e = table_find(t, part->key, part->len);
        if (!e) {
            toml_value *sub = value_new(p, TOML_TABLE, start);
            if (!sub) goto out;
            sub->u.table.flags = TABLE_IMPLICIT;
            e = table_add(p, t, part->key, part->len, part->off, sub);
            part->key = NULL;
            if (!e) goto out;
        }
        toml_value *v = e->value;
        if (v->type == TOML_ARRAY && (v->u.array.flags & ARRAY_OF_TABLES)) {
            v = v->u.array.items[v->u.array.len - 1];
        } else if (v->type != TOML_TABLE) {
            key_error(p, part, "cannot define a table below the value");
            goto out;
        } else if (v->u.table.flags & TABLE_INLINE) {
            key_error(p, part, "cannot extend the inline table");
            goto out;
        }
        t = v;
    }

    key_part *last = &k.parts[k.n - 1];
    toml_entry *e = table_find(t, last->key, last->len);
    if (is_array) {
        if (!e) {
            toml_value *arr = value_new(p, TOML_ARRAY, start);
            if (!arr) goto out;
            arr->u.array.flags = ARRAY_OF_TABLES;
            e = table_add(p, t, last->key, last->len, last->off, arr);
            last->key = NULL;
            if (!e) goto out;
        } else if (e->value->type != TOML_ARRAY || !(e->value->u.array.flags & ARRAY_OF_TABLES)) {
            key_error(p, last, "cannot append to the static array or value");
            goto out;
        }
        toml_value *elem = value_new(p, TOML_TABLE, start);
        if (!elem) goto out;
        elem->u.table.flags = TABLE_HEADER;
        if (array_push(p, e->value, elem) < 0) goto out;
        result = elem;
    } else if (!e) {
        toml_value *sub = value_new(p, TOML_TABLE, start);
        if (!sub) goto out;
        sub->u.table.flags = TABLE_HEADER;
        e = table_add(p, t, last->key, last->len, last->off, sub);
        last->key = NULL;
        if (e) result = sub;
    } else if (e->value->type == TOML_TABLE && e->value->u.table.flags == TABLE_IMPLICIT) {
        e->value->u.table.flags = TABLE_HEADER;
        e->value->pos = pos_at(p, start);
        result = e->value;
    } else {
        fail_at(p, start, "table [%.*s] defined twice", (int)(last->len > 60 ? 60 : last->len),
                last->key);
    }
out:
    key_free(&k);
    return result;
}

/* After an expression: blanks, an optional comment, then a newline or the end. */
static int end_of_line(parser *p)
{
    skip_ws(p);
    if (skip_comment(p) < 0) return -1;
    if (p->i >= p->len) return 0;
    if (is_newline(p)) {
        skip_newline(p);
        return 0;
    }
    if (peek(p) == '\r') return fail(p, "a carriage return must be followed by a newline");
    return fail(p, "expected a newline after the expression");
}

toml_value *toml_parse(const char *bytes, size_t len, toml_error *err)
{
    parser p = {
        .s = (const unsigned char *)bytes, .len = len, .err = err, .pos_line = 1, .pos_col = 1};
    *err = (toml_error){0};
    if (check_utf8(&p) < 0) return NULL;
    if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) p.i = 3;
    p.pos_off = p.text_start = p.i;
    toml_value *root = value_new(&p, TOML_TABLE, p.i);
    if (!root) return NULL;
    root->u.table.flags = TABLE_HEADER;
    toml_value *current = root;
    while (p.i < p.len) {
        skip_ws(&p);
        int c = peek(&p);
        if (c == '[') {
            current = parse_table_header(&p, root);
            if (!current) break;
        } else if (c != '#' && c != '\n' && c != '\r' && c >= 0) {
            if (parse_keyval(&p, current, TABLE_DOTTED) < 0) break;
        }
        if (end_of_line(&p) < 0) break;
    }
    if (p.failed) {
        value_free(root);
        return NULL;
    }
    return root;
}

/* ---- look-ups ---------------------------------------------------------------- */

const toml_entry *toml_get_entry(const toml_value *table, const char *key)
{
    if (!table || table->type != TOML_TABLE || !key) return NULL;
    return table_find(table, key, strlen(key));
}

const toml_value *toml_get(const toml_value *table, const char *key)
{
    const toml_entry *e = toml_get_entry(table, key);
    return e ? e->value : NULL;
}

const char *toml_type_name(toml_type type)
{
    switch (type) {
    case TOML_TABLE: return "table";
    case TOML_ARRAY: return "array";
    case TOML_STRING: return "string";
    case TOML_INTEGER: return "integer";
    case TOML_FLOAT: return "float";
    case TOML_BOOL: return "boolean";
    case TOML_DATETIME: return "offset date-time";
    case TOML_DATETIME_LOCAL: return "local date-time";
    case TOML_DATE_LOCAL: return "local date";
    case TOML_TIME_LOCAL: return "local time";
    }
    return "value";
}
