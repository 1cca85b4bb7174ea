/* json_mutator.h — structure-aware mutations for the request-path fuzzer.
 *
 * Byte flips make most JSON bodies unparsable, and a body that does not
 * parse never reaches a method. This mutator parses the input, changes one
 * thing in the tree (a value replaced by one of another type or by a word
 * of the API, a member dropped, renamed or added, an element repeated, a
 * number nudged, a request wrapped into a batch) and writes it out again;
 * input that is not JSON is left to libFuzzer's own mutations.
 */
#ifndef TEND_FUZZ_JSON_MUTATOR_H
#define TEND_FUZZ_JSON_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

/* The words mutations use: names of methods and parameters, schema
 * properties and enum values from the OpenRPC document (text), and a few
 * values a caller would send. */
void json_mutator_init(const char *openrpc_text);

/* Mutates data (size bytes, room for max_size) in place; returns the new
 * size, or 0 when data is not JSON or the result would not fit. */
size_t json_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#endif
