/* buf.h — a growable byte buffer, always NUL-terminated.
 *
 * Used to build messages and output text. Allocation failure is sticky:
 * once an append fails, buf.failed stays set and later appends do nothing,
 * so callers check once at the end instead of after every append.
 */
#ifndef TEND_BASE_BUF_H
#define TEND_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    bool failed;
} buf;

void buf_append(buf *b, const char *bytes, size_t len);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
__attribute__((format(printf, 2, 3))) void buf_printf(buf *b, const char *fmt, ...);
/* Gives the string to the caller (never NULL unless allocation failed). */
char *buf_steal(buf *b);
void buf_free(buf *b);

#endif
