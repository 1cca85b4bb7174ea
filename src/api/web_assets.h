/* web_assets.h — the dashboard's files (web/), compiled into the binary
 * by scripts/embed_assets.py. */
#ifndef TEND_API_WEB_ASSETS_H
#define TEND_API_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path; /* "/" for index.html, else "/assets/NAME" */
    const char *content_type;
    const unsigned char *bytes;
    size_t len;
} web_asset;

/* Ends with an entry whose path is NULL. */
extern const web_asset web_assets[];

#endif
