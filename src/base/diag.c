/* diag.c — collecting and printing located error messages. */
#include "base/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(diag_list *d, const char *file)
{
    *d = (diag_list){0};
    d->file = strdup(file ? file : "-");
    if (!d->file) d->alloc_failed = 1;
}

void diag_add(diag_list *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, line, col, fmt, ap);
    va_end(ap);
}

void diag_vadd(diag_list *d, int line, int col, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        d->alloc_failed = 1;
        return;
    }
    if (d->len == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        diag *grown = realloc(d->items, cap * sizeof(*grown));
        if (!grown) {
            free(msg);
            d->alloc_failed = 1;
            return;
        }
        d->items = grown;
        d->cap = cap;
    }
    d->items[d->len++] = (diag){.line = line, .col = col, .message = msg};
}

static int diag_compare(const void *a, const void *b)
{
    const diag *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return 0;
}

void diag_sort(diag_list *d)
{
    /* qsort is not stable: break ties by the order the problems were found. */
    for (size_t i = 0; i < d->len; i++) {
        size_t j = i;
        diag cur = d->items[i];
        while (j > 0 && diag_compare(&d->items[j - 1], &cur) > 0) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = cur;
    }
}

void diag_print(const diag_list *d, FILE *out)
{
    for (size_t i = 0; i < d->len; i++) {
        const diag *x = &d->items[i];
        if (x->line > 0)
            fprintf(out, "%s:%d:%d: error: %s\n", d->file, x->line, x->col, x->message);
        else
            fprintf(out, "%s: error: %s\n", d->file, x->message);
    }
    if (d->alloc_failed) fprintf(out, "%s: error: out of memory while reporting errors\n", d->file);
}

void diag_free(diag_list *d)
{
    for (size_t i = 0; i < d->len; i++) free(d->items[i].message);
    free(d->items);
    free(d->file);
    *d = (diag_list){0};
}
