/* diag.h — a list of located error messages ("file:line:col: message").
 *
 * Loaders collect every problem they find into one diag_list instead of
 * stopping at the first, so a user fixes a file in one pass. The list owns
 * its messages; diag_sort orders them by place in the file.
 */
#ifndef TEND_BASE_DIAG_H
#define TEND_BASE_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    int line, col; /* 1-based; 0 when the problem has no place (a missing file) */
    char *message;
} diag;

typedef struct {
    char *file; /* the file every diag in the list refers to */
    diag *items;
    size_t len, cap;
    int alloc_failed;
} diag_list;

void diag_init(diag_list *d, const char *file);
__attribute__((format(printf, 4, 5))) void diag_add(diag_list *d, int line, int col,
                                                    const char *fmt, ...);
void diag_vadd(diag_list *d, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
void diag_sort(diag_list *d);
/* Writes "file:line:col: error: message" lines. */
void diag_print(const diag_list *d, FILE *out);
void diag_free(diag_list *d);

#endif
