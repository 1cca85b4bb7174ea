/* toml_decode.c — `toml-decode FILE`: parses a TOML file and prints it as
 * the tagged JSON of the toml-test suite, for tests/conformance. Exit 0 on
 * success; on a parse error "FILE:LINE:COL: MESSAGE" on stderr and exit 1. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/fileio.h"
#include "config/toml.h"

static void print_json_string(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7F)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_scalar(const char *type, const char *text)
{
    printf("{\"type\":\"%s\",\"value\":\"%s\"}", type, text);
}

static void print_datetime(const toml_value *v)
{
    const toml_datetime *d = &v->u.datetime;
    char date[48] = "", time[48] = "", offset[24] = "", text[128];
    if (v->type != TOML_TIME_LOCAL)
        snprintf(date, sizeof(date), "%04d-%02d-%02d", d->year, d->month, d->day);
    if (v->type != TOML_DATE_LOCAL) {
        int n = snprintf(time, sizeof(time), "%02d:%02d:%02d", d->hour, d->minute, d->second);
        if (d->nanosecond) snprintf(time + n, sizeof(time) - (size_t)n, ".%09d", d->nanosecond);
    }
    if (v->type == TOML_DATETIME) {
        if (d->offset_minutes == 0)
            snprintf(offset, sizeof(offset), "Z");
        else {
            int m = abs(d->offset_minutes);
            snprintf(offset, sizeof(offset), "%c%02d:%02d", d->offset_minutes < 0 ? '-' : '+',
                     m / 60, m % 60);
        }
    }
    static const char *const names[] = {[TOML_DATETIME] = "datetime",
                                        [TOML_DATETIME_LOCAL] = "datetime-local",
                                        [TOML_DATE_LOCAL] = "date-local",
                                        [TOML_TIME_LOCAL] = "time-local"};
    snprintf(text, sizeof(text), "%s%s%s%s", date, *date && *time ? "T" : "", time, offset);
    print_scalar(names[v->type], text);
}

static void print_value(const toml_value *v)
{
    char text[64];
    switch (v->type) {
    case TOML_TABLE:
        putchar('{');
        for (size_t i = 0; i < v->u.table.len; i++) {
            if (i) putchar(',');
            print_json_string(v->u.table.entries[i].key, v->u.table.entries[i].key_len);
            putchar(':');
            print_value(v->u.table.entries[i].value);
        }
        putchar('}');
        break;
    case TOML_ARRAY:
        putchar('[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i) putchar(',');
            print_value(v->u.array.items[i]);
        }
        putchar(']');
        break;
    case TOML_STRING:
        printf("{\"type\":\"string\",\"value\":");
        print_json_string(v->u.string.ptr, v->u.string.len);
        putchar('}');
        break;
    case TOML_INTEGER:
        snprintf(text, sizeof(text), "%" PRId64, v->u.integer);
        print_scalar("integer", text);
        break;
    case TOML_FLOAT:
        if (isnan(v->u.number))
            snprintf(text, sizeof(text), "nan");
        else if (isinf(v->u.number))
            snprintf(text, sizeof(text), v->u.number < 0 ? "-inf" : "inf");
        else
            snprintf(text, sizeof(text), "%.17g", v->u.number);
        print_scalar("float", text);
        break;
    case TOML_BOOL: print_scalar("bool", v->u.boolean ? "true" : "false"); break;
    default: print_datetime(v); break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: toml-decode FILE\n");
        return 2;
    }
    char *data = NULL;
    size_t len = 0;
    if (file_read_all(argv[1], 1u << 26, &data, &len) < 0) {
        perror(argv[1]);
        return 2;
    }
    toml_error err;
    toml_value *root = toml_parse(data, len, &err);
    free(data);
    if (!root) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[1], err.pos.line, err.pos.col, err.message);
        return 1;
    }
    print_value(root);
    putchar('\n');
    toml_free(root);
    return 0;
}
