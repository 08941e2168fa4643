/*
 * tinyts_harness.h - the contract between a test/benchmark harness and the
 * code under test (the "adapter").
 *
 * The caller supplies one small adapter C file that
 *   1. defines TINYTS_HARNESS_INPUT_BYTES / TINYTS_HARNESS_OUTPUT_BYTES,
 *   2. expands TINYTS_HARNESS_DEFINE_SIZES() once (exports the two sizes to
 *      the harness, which is compiled separately), and
 *   3. defines tinyts_harness_invoke(), which runs the model on `in` and
 *      writes `out`, returning 0 on success.
 *
 *   #include "tinyts_harness.h"
 *   #include "model.h"
 *   #define TINYTS_HARNESS_INPUT_BYTES  MODEL_INPUT_BYTES
 *   #define TINYTS_HARNESS_OUTPUT_BYTES MODEL_OUTPUT_BYTES
 *   TINYTS_HARNESS_DEFINE_SIZES()
 *   int tinyts_harness_invoke(const int8_t *in, size_t in_bytes,
 *                             int8_t *out, size_t out_bytes) {
 *       (void)in_bytes; (void)out_bytes;
 *       return model_invoke(in, out);
 *   }
 *
 * The same adapter is linked with the host harness and the Cortex-M7 one.
 * Both harnesses pass buffers aligned to 8 bytes.
 */
#ifndef TINYTS_HARNESS_H
#define TINYTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int tinyts_harness_invoke(const int8_t *in, size_t in_bytes, int8_t *out,
                          size_t out_bytes);

extern const uint32_t tinyts_harness_input_bytes;
extern const uint32_t tinyts_harness_output_bytes;

#define TINYTS_HARNESS_DEFINE_SIZES()                                        \
    const uint32_t tinyts_harness_input_bytes = (TINYTS_HARNESS_INPUT_BYTES); \
    const uint32_t tinyts_harness_output_bytes = (TINYTS_HARNESS_OUTPUT_BYTES);

#ifdef __cplusplus
}
#endif

#endif /* TINYTS_HARNESS_H */
