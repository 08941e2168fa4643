"""Host and emulated Cortex-M7 runners (tinyts_mlir.targets).

Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm
(scripts/setup.sh); the tests that need them are skipped, loudly, without.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tinyts_mlir.targets import cortex_m7, host
from tinyts_mlir.targets.errors import (
    BuildError,
    TargetFaultError,
    TargetRunError,
    TargetTimeoutError,
    ToolchainMissingError,
)

HAVE_M7 = bool(shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm"))
needs_m7 = pytest.mark.skipif(
    not HAVE_M7,
    reason="arm-none-eabi-gcc / qemu-system-arm missing: apt-get install -y "
    "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm",
)

N_IN = 64


def adapter(in_bytes: int, out_bytes: int, body: str, prelude: str = "") -> str:
    return textwrap.dedent(
        """\
        #include <stdint.h>
        #include <stddef.h>
        #include "tinyts_harness.h"
        #define TINYTS_HARNESS_INPUT_BYTES {i}
        #define TINYTS_HARNESS_OUTPUT_BYTES {o}
        TINYTS_HARNESS_DEFINE_SIZES()
        {prelude}
        int tinyts_harness_invoke(const int8_t *in, size_t in_bytes,
                                  int8_t *out, size_t out_bytes) {{
            (void)in; (void)in_bytes; (void)out; (void)out_bytes;
        {body}
        }}
        """
    ).format(i=in_bytes, o=out_bytes, prelude=textwrap.dedent(prelude), body=textwrap.indent(textwrap.dedent(body), "    "))


# --- a tiny int8 "model": fully connected layer with a rounding shift -------

def dense_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    acc = w.astype(np.int32) @ x.astype(np.int32) + b
    return np.clip((acc + 64) >> 7, -128, 127).astype(np.int8)


def write_dense_model(d: Path, rows: int, seed: int = 0) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, size=(rows, N_IN), dtype=np.int8)
    b = rng.integers(-2000, 2000, size=rows, dtype=np.int32)
    wtxt = ",".join(str(int(v)) for v in w.ravel())
    btxt = ",".join(str(int(v)) for v in b)
    src = adapter(
        N_IN,
        rows,
        prelude=f"""
        static const int8_t W[{rows}][{N_IN}] = {{{wtxt}}};
        static const int32_t B[{rows}] = {{{btxt}}};
        """,
        body=f"""
        for (int m = 0; m < {rows}; ++m) {{
            int32_t acc = B[m];
            for (int n = 0; n < {N_IN}; ++n) acc += (int32_t)W[m][n] * in[n];
            int32_t v = (acc + 64) >> 7;
            out[m] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }}
        return 0;
        """,
    )
    path = d / f"dense_{rows}.c"
    path.write_text(src)
    return path, w, b


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    d = tmp_path_factory.mktemp("dense")
    models = {rows: write_dense_model(d, rows, seed=rows) for rows in (32, 64)}
    return d, models


def test_host_dense_matches_numpy(dense):
    d, models = dense
    src, w, b = models[32]
    exe = host.build_executable([src], out_dir=d / "host")
    x = np.random.default_rng(1).integers(-128, 128, N_IN, dtype=np.int8)
    res = host.run_executable(exe, x.tobytes(), 32)
    assert res.exit_code == 0
    np.testing.assert_array_equal(np.frombuffer(res.output, np.int8), dense_reference(x, w, b))


def test_host_sanitized_build(dense):
    d, models = dense
    src, w, b = models[32]
    exe = host.build_executable([src], out_dir=d / "host_asan", sanitize=True)
    x = np.arange(N_IN, dtype=np.int8)
    res = host.run_executable(exe, x.tobytes(), 32)
    np.testing.assert_array_equal(np.frombuffer(res.output, np.int8), dense_reference(x, w, b))


def test_host_errors(tmp_path):
    src = tmp_path / "hang.c"
    src.write_text(adapter(4, 4, "for (;;) { __asm__ volatile(\"\"); }"))
    exe = host.build_executable([src], out_dir=tmp_path)
    with pytest.raises(TargetTimeoutError, match="did not finish within"):
        host.run_executable(exe, bytes(4), 4, timeout_s=1)
    with pytest.raises(TargetRunError, match="input size"):
        host.run_executable(exe, bytes(5), 4)
    bad = tmp_path / "bad.c"
    bad.write_text("int broken(void) { return undeclared; }\n")
    with pytest.raises(BuildError, match="undeclared"):
        host.build_executable([bad], out_dir=tmp_path, name="bad")


@needs_m7
def test_m7_dense_matches_host_and_scales(dense):
    d, models = dense
    rng = np.random.default_rng(2)
    counts = {}
    for rows, (src, w, b) in models.items():
        elf = cortex_m7.build_elf([src], out_dir=d / "m7", name=f"dense_{rows}")
        exe = host.build_executable([src], out_dir=d / "host", name=f"dense_{rows}")
        for _ in range(3):
            x = rng.integers(-128, 128, N_IN, dtype=np.int8)
            r = cortex_m7.run_elf(elf, x.tobytes(), rows)
            h = host.run_executable(exe, x.tobytes(), rows)
            assert r.exit_code == 0 and r.invoke_status == 0
            assert r.output == h.output
            np.testing.assert_array_equal(np.frombuffer(r.output, np.int8), dense_reference(x, w, b))
            assert r.instructions > rows * N_IN // 4  # at least a few MACs per instruction
            counts.setdefault(rows, set()).add(r.instructions)
            assert r.total_stack_bytes >= r.peak_stack_bytes
            assert 0 < r.total_stack_bytes < 1024
    # the clamp is data-dependent: counts vary slightly with the input
    for c in counts.values():
        assert max(c) - min(c) <= 0.01 * max(c), counts
    ratio = max(counts[64]) / max(counts[32])
    assert 1.8 < ratio < 2.2, ratio


@needs_m7
def test_m7_instruction_count_is_exact_for_a_counted_loop(tmp_path):
    # invoke = ldr, (subs, bne) * n, movs, bx  ->  2n + 4 (+1 for the bl)
    src = tmp_path / "loop.c"
    src.write_text(adapter(4, 4, """
        uint32_t n;
        __builtin_memcpy(&n, in, 4);
        __asm__ volatile("1: subs %0, %0, #1\\n\\tbne 1b" : "+r"(n) :: "cc");
        return 0;
    """))
    elf = cortex_m7.build_elf([src], out_dir=tmp_path)
    counts = {}
    for n in (1000, 1001, 3000, 100000):
        counts[n] = cortex_m7.run_elf(elf, np.uint32(n).tobytes(), 4).instructions
    assert counts[1001] - counts[1000] == 2
    assert counts[3000] - counts[1000] == 4000
    assert abs(counts[100000] - counts[1000] - 2 * 99000) <= 1
    assert abs(counts[1000] - (2 * 1000 + 5)) <= 2, counts


def stack_model(d: Path, nbytes: int) -> Path:
    src = d / f"stack_{nbytes}.c"
    src.write_text(adapter(4, 4, prelude=f"""
        __attribute__((noinline)) static int32_t use_stack(const int8_t *in) {{
            volatile int8_t buf[{nbytes}];
            for (int i = 0; i < {nbytes}; ++i) buf[i] = (int8_t)(in[i & 3] + i);
            int32_t s = 0;
            for (int i = 0; i < {nbytes}; ++i) s += buf[i];
            return s;
        }}
        """, body="""
        int32_t s = use_stack(in);
        __builtin_memcpy(out, &s, 4);
        return 0;
        """))
    return src


@needs_m7
def test_m7_peak_stack_tracks_a_stack_array(tmp_path):
    peaks = {}
    for nbytes in (1000, 4000):
        src = stack_model(tmp_path, nbytes)
        elf = cortex_m7.build_elf([src], out_dir=tmp_path, name=f"stack_{nbytes}")
        r = cortex_m7.run_elf(elf, bytes([1, 2, 3, 4]), 4)
        h = host.run_executable(host.build_executable([src], out_dir=tmp_path, name=f"h{nbytes}"),
                                bytes([1, 2, 3, 4]), 4)
        assert r.output == h.output
        assert nbytes <= r.peak_stack_bytes <= nbytes + 64, r
        peaks[nbytes] = r.peak_stack_bytes
    assert peaks[4000] - peaks[1000] == 3000


@needs_m7
def test_m7_stack_overflow_is_a_fault(tmp_path):
    src = stack_model(tmp_path, 8000)
    elf = cortex_m7.build_elf([src], out_dir=tmp_path, stack_bytes=4096)
    with pytest.raises(TargetFaultError, match="stack overflow") as exc:
        cortex_m7.run_elf(elf, bytes(4), 4)
    assert exc.value.fault in ("BusFault", "MemManage", "HardFault")


@needs_m7
def test_m7_section_sizes(tmp_path):
    src = tmp_path / "sizes.c"
    src.write_text(adapter(4, 4, prelude="""
        const int8_t weights[3000] = {1, 2, 3};
        int32_t table[100] = {7, 8, 9};
        int8_t scratch[5000];
        """, body="""
        for (int i = 0; i < 5000; ++i) scratch[i] = (int8_t)(in[i & 3] + weights[i % 3000]);
        table[in[0] & 63] += scratch[4999];
        out[0] = (int8_t)table[3]; out[1] = scratch[17]; out[2] = 0; out[3] = 0;
        return 0;
        """))
    elf = cortex_m7.build_elf([src], out_dir=tmp_path, stack_bytes=8192)
    s = cortex_m7.section_sizes(elf)
    assert s.rodata >= 3000 and s.data >= 400 and s.bss >= 5000
    assert s.stack == 8192
    assert 64 < s.text < 16384
    assert s.flash == s.text + s.rodata + s.data
    assert s.ram == s.data + s.bss + s.stack
    # agrees with binutils' view of the same ELF
    size_out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True,
                              text=True, check=True).stdout
    binutils = {m[1]: int(m[2]) for m in re.finditer(r"^(\.\S+)\s+(\d+)\s+\d+", size_out, re.M)}
    for name in (".text", ".rodata", ".data", ".bss", ".stack"):
        assert s.sections.get(name, 0) == binutils.get(name, 0), name
    r = cortex_m7.run_elf(elf, bytes([5, 0, 0, 0]), 4)
    assert r.exit_code == 0


@needs_m7
def test_m7_mcu_limits_are_enforced_by_the_linker(tmp_path):
    src = tmp_path / "big.c"
    src.write_text(adapter(4, 4, prelude="int8_t big[600 * 1024];",
                           body="big[in[0] & 1023] = 1; out[0] = big[5]; return 0;"))
    with pytest.raises(BuildError, match="RAM limit"):
        cortex_m7.build_elf([src], out_dir=tmp_path)
    elf = cortex_m7.build_elf([src], out_dir=tmp_path, ram_limit=None)
    assert cortex_m7.section_sizes(elf).bss >= 600 * 1024
    cortex_m7.run_elf(elf, bytes(4), 4)


@needs_m7
def test_m7_hang_times_out(tmp_path):
    src = tmp_path / "hang.c"
    src.write_text(adapter(4, 4, "for (;;) { __asm__ volatile(\"\"); }"))
    elf = cortex_m7.build_elf([src], out_dir=tmp_path)
    with pytest.raises(TargetTimeoutError, match="did not finish within 2 s"):
        cortex_m7.run_elf(elf, bytes(4), 4, timeout_s=2)


@needs_m7
@pytest.mark.parametrize(
    "body, fault, flag",
    [
        ("return (int)*(volatile uint32_t *)0xFFFFFFF0u;", "BusFault", "PRECISERR"),
        ("__builtin_trap();", "UsageFault", "UNDEFINSTR"),
    ],
)
def test_m7_fault_is_reported_by_name(tmp_path, body, fault, flag):
    src = tmp_path / "fault.c"
    src.write_text(adapter(4, 4, body))
    elf = cortex_m7.build_elf([src], out_dir=tmp_path)
    with pytest.raises(TargetFaultError, match=fault) as exc:
        cortex_m7.run_elf(elf, bytes(4), 4)
    err = exc.value
    assert err.fault == fault and flag in err.cfsr_flags
    assert "tinyts_harness_invoke" in str(err)
    assert f"tinyts: fault code=0x{err.exit_code:08x} pc=0x{err.pc:08x}" in err.console
    if fault == "BusFault":
        assert err.fault_address == 0xFFFFFFF0


@needs_m7
def test_m7_invoke_status_and_size_checks(tmp_path):
    src = tmp_path / "status.c"
    src.write_text(adapter(4, 2, "out[0] = in[0]; out[1] = 9; return 7;"))
    elf = cortex_m7.build_elf([src], out_dir=tmp_path)
    r = cortex_m7.run_elf(elf, bytes([3, 0, 0, 0]), 2)
    assert (r.exit_code, r.invoke_status, r.output) == (3, 7, bytes([3, 9]))
    with pytest.raises(TargetRunError, match="takes 4 input bytes"):
        cortex_m7.run_elf(elf, bytes(3), 2)
    with pytest.raises(TargetRunError, match="writes 2 output bytes"):
        cortex_m7.run_elf(elf, bytes(4), 3)


def test_missing_toolchain_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYTS_ARM_GCC", "arm-none-eabi-gcc-not-installed")
    with pytest.raises(ToolchainMissingError, match=r"apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi"):
        cortex_m7.build_elf([tmp_path / "x.c"], out_dir=tmp_path)
    monkeypatch.setenv("TINYTS_QEMU_ARM", "qemu-system-arm-not-installed")
    with pytest.raises(ToolchainMissingError, match="qemu-system-arm"):
        cortex_m7.run_elf(tmp_path / "x.elf", b"", 0)


# --- DSP intrinsics against the portable C path -------------------------------

DSP_PRELUDE = """
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
static inline int32_t k_smlad(uint32_t a, uint32_t b, int32_t c) { return __smlad((int16x2_t)a, (int16x2_t)b, c); }
static inline uint32_t k_sxtb16(uint32_t a) { return (uint32_t)__sxtb16((int8x4_t)a); }
static inline uint32_t k_sxtb16_ror8(uint32_t a) { return (uint32_t)__sxtb16((int8x4_t)((a >> 8) | (a << 24))); }
static inline uint32_t k_sxtab16(uint32_t a, uint32_t b) { return (uint32_t)__sxtab16((int16x2_t)a, (int8x4_t)b); }
#else
static inline int32_t k_smlad(uint32_t a, uint32_t b, int32_t c) {
    int32_t p = (int32_t)(int16_t)(a & 0xFFFFu) * (int16_t)(b & 0xFFFFu)
              + (int32_t)(int16_t)(a >> 16) * (int16_t)(b >> 16);
    return (int32_t)((uint32_t)p + (uint32_t)c);  /* wraps like the instruction */
}
static inline uint32_t k_sxtb16(uint32_t a) {
    return ((uint32_t)(int32_t)(int8_t)(a & 0xFFu) & 0xFFFFu) | ((uint32_t)(int32_t)(int8_t)(a >> 16) << 16);
}
static inline uint32_t k_sxtb16_ror8(uint32_t a) { return k_sxtb16((a >> 8) | (a << 24)); }
static inline uint32_t k_sxtab16(uint32_t a, uint32_t b) {
    uint32_t e = k_sxtb16(b);
    return (((a & 0xFFFFu) + (e & 0xFFFFu)) & 0xFFFFu) | (((a >> 16) + (e >> 16)) << 16);
}
#endif
"""

DSP_BODY = """
const uint32_t *w = (const uint32_t *)in;
uint32_t *o = (uint32_t *)out;
for (int i = 0; i < NCASES; ++i) {
    uint32_t a = w[3 * i], b = w[3 * i + 1], c = w[3 * i + 2];
    o[4 * i + 0] = (uint32_t)k_smlad(a, b, (int32_t)c);
    o[4 * i + 1] = k_sxtb16(a);
    o[4 * i + 2] = k_sxtb16_ror8(b);
    o[4 * i + 3] = k_sxtab16(c, a);
}
return 0;
"""


def dsp_reference(words: np.ndarray) -> np.ndarray:
    a, b, c = (words[:, k].astype(np.int64) for k in range(3))

    def lo16(v):
        return ((v & 0xFFFF) ^ 0x8000) - 0x8000

    def hi16(v):
        return (((v >> 16) & 0xFFFF) ^ 0x8000) - 0x8000

    def sxtb16(v):
        lo = (((v & 0xFF) ^ 0x80) - 0x80) & 0xFFFF
        hi = ((((v >> 16) & 0xFF) ^ 0x80) - 0x80) & 0xFFFF
        return lo | hi << 16

    smlad = (lo16(a) * lo16(b) + hi16(a) * hi16(b) + c) & 0xFFFFFFFF
    ror8 = ((b >> 8) | (b << 24)) & 0xFFFFFFFF
    e = sxtb16(a)
    sxtab = ((c + e) & 0xFFFF) | ((((c >> 16) + (e >> 16)) & 0xFFFF) << 16)
    return np.stack([smlad, sxtb16(a), sxtb16(ror8), sxtab], axis=1).astype(np.uint32)


@needs_m7
def test_dsp_intrinsics_match_portable_path(tmp_path):
    ncases = 400
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**32, size=(ncases, 3), dtype=np.uint64).astype(np.uint32)
    words[:8] = [[0x80008000, 0x80008000, 0x7FFFFFFF], [0x7FFF7FFF, 0x7FFF7FFF, 0x7FFFFFFF],
                 [0xFFFFFFFF, 0x00000001, 0], [0x807F807F, 0x7F807F80, 0x80000000],
                 [0, 0, 0], [0x12345678, 0x9ABCDEF0, 0x0F0F0F0F],
                 [0x80808080, 0x80808080, 0xFFFF0000], [0x7F7F7F7F, 0x7F7F7F7F, 0x0000FFFF]]
    src = tmp_path / "dsp.c"
    src.write_text(adapter(ncases * 12, ncases * 16, DSP_BODY, prelude=DSP_PRELUDE))
    defines = {"NCASES": ncases}
    ref = dsp_reference(words).tobytes()
    inp = words.tobytes()

    exe = host.build_executable([src], out_dir=tmp_path, defines=defines)
    assert host.run_executable(exe, inp, len(ref)).output == ref

    dsp = cortex_m7.build_elf([src], out_dir=tmp_path, defines=defines, name="dsp")
    portable = cortex_m7.build_elf([src], out_dir=tmp_path, defines=defines, dsp=False, name="portable")
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", str(dsp)], capture_output=True, text=True).stdout
    assert "smlad" in dis and "sxtb16" in dis  # the intrinsic path really was compiled
    r_dsp = cortex_m7.run_elf(dsp, inp, len(ref))
    r_portable = cortex_m7.run_elf(portable, inp, len(ref))
    assert r_dsp.output == ref
    assert r_portable.output == ref
    assert r_dsp.instructions < r_portable.instructions
