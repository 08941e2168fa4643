/*
 * Host harness: `prog INPUT_FILE OUTPUT_FILE`.
 * Reads exactly tinyts_harness_input_bytes from INPUT_FILE, calls
 * tinyts_harness_invoke() and writes tinyts_harness_output_bytes to
 * OUTPUT_FILE.  Exit codes: 0 ok, 2 usage, 3 model returned non-zero
 * (output still written, status on stderr), 4 input file, 5 input size,
 * 6 output file, 7 out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyts_harness.h"

static void *alloc8(size_t n) {
    /* 8-byte aligned, never zero-sized; poisoned so unwritten bytes show. */
    void *p = malloc(n ? n : 1);
    if (p) memset(p, 0xA5, n ? n : 1);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT_FILE OUTPUT_FILE\n", argv[0]);
        return 2;
    }
    size_t in_n = tinyts_harness_input_bytes;
    size_t out_n = tinyts_harness_output_bytes;
    int8_t *in = alloc8(in_n);
    int8_t *out = alloc8(out_n);
    if (!in || !out) return 7;

    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "tinyts-host: cannot open input %s\n", argv[1]);
        return 4;
    }
    size_t got = fread(in, 1, in_n, f);
    int extra = fgetc(f);
    fclose(f);
    if (got != in_n || extra != EOF) {
        fprintf(stderr, "tinyts-host: input must be exactly %zu bytes\n", in_n);
        return 5;
    }

    int rc = tinyts_harness_invoke(in, in_n, out, out_n);

    f = fopen(argv[2], "wb");
    if (!f) return 6;
    if (fwrite(out, 1, out_n, f) != out_n) {
        fclose(f);
        return 6;
    }
    if (fclose(f) != 0) return 6;
    free(in);
    free(out);
    if (rc != 0) {
        fprintf(stderr, "tinyts-host: invoke returned %d\n", rc);
        return 3;
    }
    return 0;
}
