/* toml.h — a TOML 1.0.0 parser: bytes in, a tree of typed values out.
 *
 * Owns the value tree it returns: one toml_parse() result is freed by one
 * toml_free(). Every value remembers where it was written (line:col, both
 * 1-based, columns counted in Unicode code points) so that the registry can
 * point its own errors at the exact place in the file. Tables keep their
 * keys in document order and look keys up in O(1) on average.
 */
#ifndef TEND_CONFIG_TOML_H
#define TEND_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TOML_TABLE,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
    TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
    TOML_DATE_LOCAL,     /* 1979-05-27 */
    TOML_TIME_LOCAL,     /* 07:32:00 */
} toml_type;

typedef struct {
    int line;
    int col;
} toml_pos;

typedef struct {
    int year, month, day;     /* set for DATETIME, DATETIME_LOCAL, DATE_LOCAL */
    int hour, minute, second; /* set for DATETIME, DATETIME_LOCAL, TIME_LOCAL */
    int nanosecond;           /* fractional seconds, truncated to 9 digits */
    int offset_minutes;       /* DATETIME only: Z is 0, -07:00 is -420 */
} toml_datetime;

typedef struct toml_value toml_value;

typedef struct {
    char *key; /* decoded key, NUL-terminated (it may also hold NUL: "\u0000") */
    size_t key_len;
    toml_pos key_pos; /* where this key (segment) was written */
    toml_value *value;
} toml_entry;

struct toml_value {
    toml_type type;
    toml_pos pos; /* the value's first character; for a [table] its header,
                     for a table created implicitly the key that created it */
    union {
        struct {
            toml_entry *entries; /* document order */
            size_t len;
            void *index; /* private: hash index for large tables */
            size_t cap;
            unsigned flags; /* private: how the table was defined */
        } table;
        struct {
            toml_value **items;
            size_t len, cap;
            unsigned flags; /* private: array of tables or static array */
        } array;
        struct {
            char *ptr; /* NUL-terminated; may also hold NUL (\u0000) */
            size_t len;
        } string;
        int64_t integer;
        double number;
        bool boolean;
        toml_datetime datetime;
    } u;
};

typedef struct {
    toml_pos pos;      /* where the problem was found */
    char message[256]; /* human words, no location prefix */
} toml_error;

/* Parse len bytes of TOML. Returns the root table, or NULL with *err filled
 * in. The input need not be NUL-terminated; it is never modified. */
toml_value *toml_parse(const char *bytes, size_t len, toml_error *err);

void toml_free(toml_value *root);

/* The value of key in table, or NULL (also when table is not a table). */
const toml_value *toml_get(const toml_value *table, const char *key);

/* The entry for key (with its key_pos), or NULL. */
const toml_entry *toml_get_entry(const toml_value *table, const char *key);

/* "table", "array", "string", "integer", "float", "boolean",
 * "offset date-time", "local date-time", "local date", "local time". */
const char *toml_type_name(toml_type type);

#endif
