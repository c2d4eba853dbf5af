/* Fuzz target: the JSON bridge. Properties: no crash, no leak, and any text
 * that parses serializes to text that parses back to an equal value. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dal/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    dal_error err = DAL_ERROR_INIT;
    json_t *v = dal_json_deserialize(text, &err);
    if (v) {
        char *out = dal_json_serialize(v, &err);
        if (!out) abort();
        json_t *back = dal_json_deserialize(out, &err);
        if (!back || !json_equal(v, back)) abort();
        json_decref(back);
        free(out);
        json_decref(v);
    } else if (err.code != DAL_EJSON) {
        abort();
    }
    free(text);
    return 0;
}
