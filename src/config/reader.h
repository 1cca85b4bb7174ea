/* reader.h — typed reads from TOML tables that report problems in place.
 *
 * Every read names the key by its dotted path ("services.db.startup.
 * start_order") and reports a wrong type or value at the value's
 * line:col, a missing key at its table. Reads return READ_OK when *out was
 * set, READ_ABSENT when the key is not there (nothing reported) and
 * READ_BAD when a problem was reported; *out is untouched unless READ_OK.
 */
#ifndef TEND_CONFIG_READER_H
#define TEND_CONFIG_READER_H

#include <stdbool.h>

#include "base/diag.h"
#include "config/toml.h"

typedef enum { READ_BAD = -1, READ_ABSENT = 0, READ_OK = 1 } read_result;

typedef struct {
    diag_list *diags;
    bool verbatim; /* never expand ${VAR}: the text was expanded before it was stored */
    /* The registry file's folder (absolute), which relative paths are
     * relative to; NULL for a document that has no file (then only
     * absolute paths are taken). */
    const char *base_dir;
} reader;

/* Writes "path.key" into out (size bytes), quoting key when it needs it. */
void key_path(char *out, size_t size, const char *path, const char *key);

__attribute__((format(printf, 3, 4))) void read_error(reader *rd, toml_pos pos, const char *fmt,
                                                      ...);

/* Reports every key of table not in allowed (NULL-terminated), with the
 * closest allowed key as a suggestion. */
void read_check_keys(reader *rd, const toml_value *table, const char *path,
                     const char *const *allowed);
/* Reports key as missing from table unless it is there. */
bool read_require(reader *rd, const toml_value *table, const char *path, const char *key);

read_result read_table(reader *rd, const toml_value *table, const char *path, const char *key,
                       const toml_value **out);
/* Strings get ${VAR} expansion when expand is true. */
read_result read_string(reader *rd, const toml_value *table, const char *path, const char *key,
                        bool expand, char **out);
read_result read_strv(reader *rd, const toml_value *table, const char *path, const char *key,
                      bool expand, char ***out);
read_result read_bool(reader *rd, const toml_value *table, const char *path, const char *key,
                      bool *out);
read_result read_int(reader *rd, const toml_value *table, const char *path, const char *key,
                     long min, long max, int *out);
/* A duration in seconds: an integer or a float, from 0 to max. */
read_result read_seconds(reader *rd, const toml_value *table, const char *path, const char *key,
                         double max, double *out);
/* One of choices (NULL-terminated); *out gets its index. */
read_result read_choice(reader *rd, const toml_value *table, const char *path, const char *key,
                        const char *const *choices, int *out);
/* A table of string values, as "KEY=VALUE" entries (values expanded). */
read_result read_env(reader *rd, const toml_value *table, const char *path, const char *key,
                     char ***out);

#endif
