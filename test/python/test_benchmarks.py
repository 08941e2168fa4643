"""The side-by-side benchmark command (benchmarks/run_benchmarks.py).

It is run end to end on one small corpus model (every configuration compiled,
run on the emulated Cortex-M7 and compared with TFLite Micro), and the README's
table is checked to be the one the command last wrote into
benchmarks/results/table.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "benchmarks" / "run_benchmarks.py"


def _load():
    spec = importlib.util.spec_from_file_location("run_benchmarks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_benchmarks"] = module
    spec.loader.exec_module(module)
    return module


def _table_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ") and "---" not in line]


def test_benchmark_command_on_one_model(tmp_path: Path, corpus_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    bench = _load()
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.README_BEGIN}\nold\n{bench.README_END}\n\nafter\n")
    assert bench.main(["--models", "tflm_micro_speech_quantized", "--results",
                       str(tmp_path), "--readme", str(readme)]) == 0

    table = (tmp_path / "table.md").read_text()
    rows = {r[1].split(" (")[0].split(" [")[0]: r
            for r in _table_rows(table)
            if r[0] == "tflm_micro_speech_quantized" and len(r) == len(bench.COLUMNS)}
    assert set(rows) == {bench.TFLM, bench.LAYERWISE, bench.SPLIT, bench.SMALLEST,
                         bench.PATCH, bench.SPLIT_AT_PATCH}, rows.keys()
    col = {name: i for i, name in enumerate(bench.COLUMNS)}

    def num(config: str, column: str) -> int:
        return int(rows[config][col[column]].replace(",", ""))

    for config in set(rows) - {bench.TFLM}:
        # Every build of ours ran on the board and gave TFLite Micro's bytes.
        assert rows[config][col["output = TFLM"]] == "yes", rows[config]
        assert num(config, "M7 instructions") > 0
        assert num(config, "peak SRAM (B)") > num(config, "arena (B)")
        assert num(config, "flash (B)") > 0
    assert num(bench.SMALLEST, "arena (B)") <= num(bench.SPLIT, "arena (B)") \
        <= num(bench.LAYERWISE, "arena (B)") < num(bench.TFLM, "arena (B)")
    # The equal-memory comparison: our split within the patch build's peak SRAM.
    assert num(bench.SPLIT_AT_PATCH, "peak SRAM (B)") <= num(bench.PATCH, "peak SRAM (B)")
    assert "patch / split" in table
    for png in ("arena.png", "tradeoff.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = readme.read_text()
    assert "old" not in text and text.endswith("after\n")
    assert table.split("\n![")[0] in text


def test_readme_shows_the_benchmark_table() -> None:
    """The README's table is the command's last output, cell for cell."""
    bench = _load()
    readme = (REPO_ROOT / "README.md").read_text()
    assert bench.README_BEGIN in readme and bench.README_END in readme
    shown = readme.split(bench.README_BEGIN, 1)[1].split(bench.README_END, 1)[0].strip()
    written = (REPO_ROOT / "benchmarks" / "results" / "table.md").read_text()
    assert shown == written.split("\n![")[0].strip()
    models = {r[0] for r in _table_rows(shown)} - {"model", "geometric mean"}
    assert models == {p.stem for p in bench.corpus_models()}
