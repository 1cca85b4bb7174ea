/* json_toml.h — a JSON document as a TOML value tree, so that specs sent to
 * the API go through the very same validation as services.toml. */
#ifndef TEND_CONFIG_JSON_TOML_H
#define TEND_CONFIG_JSON_TOML_H

#include <jansson.h>
#include <stddef.h>

#include "config/toml.h"

/* Objects become tables, arrays arrays, strings, integers, reals and
 * booleans their TOML kinds; positions are 0:0. null has no TOML form and
 * is refused, with its path in err. Returns NULL on failure. */
toml_value *json_to_toml(const json_t *json, char *err, size_t errlen);

#endif
