"""The memory report (`CompiledModel.report`, `tinyts compile --report`): the
files it writes, that the page is self-contained, its per-layer table, and
that it renders (a headless Chromium screenshot)."""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

import tinyts_mlir
from tinyts_mlir import autosplit
from tinyts_mlir.cli import main
from tinyts_mlir.compiler import CompiledModel
from tinyts_mlir.report import layer_rows, match_split_layers

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# TFLite Micro's arena for mlc_kws_ref_model (oracle.tflm_arena_bytes); the
# CLI test measures it for real.
TFLM_ARENA = 24_272
# Plot colours the page can only show if its images render: matplotlib's
# tab:red (conv2d buffers in the arena map, TFLite Micro's line) and tab:blue
# (the split timeline).
TAB_RED = (214, 39, 40)
TAB_BLUE = (31, 119, 180)


@pytest.fixture(scope="module")
def kws(corpus_dir: Path) -> CompiledModel:
    return tinyts_mlir.compile(corpus_dir / "mlc_kws_ref_model.tflite")


@pytest.fixture(scope="module")
def page(kws: CompiledModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kws.report(tmp_path_factory.mktemp("report") / "kws.html", tflm_arena_bytes=TFLM_ARENA)


def _rgb(png: Path) -> np.ndarray:
    """A PNG's pixels as uint8 RGB."""
    pixels = mpimg.imread(png)
    return np.round(pixels[..., :3] * 255).astype(np.uint8)


def _count(rgb: np.ndarray, color: tuple[int, int, int], tolerance: int = 6) -> int:
    return int((np.abs(rgb.astype(int) - color).max(axis=-1) <= tolerance).sum())


def _table_rows(html: str, table_id: str) -> list[str]:
    table = re.search(rf"<table id={table_id}>.*?</table>", html, re.S)
    assert table, f"no table '{table_id}' in the page"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S)
    assert body
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)


def test_writes_the_page_and_both_plots(page: Path) -> None:
    assert page.name == "kws.html" and page.is_file()
    for suffix in ("_timeline.png", "_arena.png"):
        png = page.with_name(f"kws{suffix}")
        assert png.read_bytes()[:8] == PNG_SIGNATURE, png
        height, width, _ = mpimg.imread(png).shape
        assert width >= 800 and height >= 400, (png, width, height)


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text()
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html)
    assert links, "the page embeds no images"
    assert not [u for u in links if not u.startswith("data:")], links
    assert not re.search(r"<link|<script|@import|url\(", html)
    images = re.findall(r"<img[^>]*\bsrc=\"data:image/png;base64,([^\"]+)\"", html)
    embedded = {base64.b64decode(data) for data in images}
    assert embedded == {page.with_name(f"kws{s}").read_bytes()
                        for s in ("_timeline.png", "_arena.png")}


def test_header_shows_the_figures(kws: CompiledModel, page: Path) -> None:
    html = page.read_text()
    for text in (f"{kws.arena_bytes:,} B", f"{kws.layerwise_plan.arena_bytes:,} B",
                 f"{TFLM_ARENA:,} B", f"segments {kws.segments}", "peak SRAM estimate"):
        assert text in html, text
    assert "SRAM budget" not in html and "lower bound" not in html


def test_budget_and_bound_when_set(kws: CompiledModel, tmp_path: Path) -> None:
    cm = dataclasses.replace(kws, sram_budget=12_345, sram_lower_bound=6_789)
    html = cm.report(tmp_path / "budget.html").read_text()
    assert "SRAM budget" in html and "12,345 B" in html
    assert "lower bound" in html and "6,789 B" in html
    assert "TFLite Micro" not in html


def test_per_layer_table_has_one_row_per_layer(kws: CompiledModel, page: Path) -> None:
    rows = _table_rows(page.read_text(), "layers")
    assert len(rows) == len(kws.layer_macs) == len(layer_rows(kws))
    banded = [r for r in rows if re.search(r"\d+ bands of \d+ rows", r)]
    assert len(banded) == len(kws.split_layers)
    assert "not a measurement" in page.read_text()


def test_split_ops_map_to_their_layers(kws: CompiledModel) -> None:
    # SplitLayer.layer counts every op of the function (constants, empties);
    # layer_macs counts kernel ops: the report maps one to the other.
    mapping, unmatched = match_split_layers(kws)
    assert not unmatched and len(mapping) == len(kws.split_layers)
    for index, split in mapping.items():
        expected = "tinyts.avg_pool2d" if split.op == "tinyts.row_sum" else split.op
        assert kws.layer_macs[index].op == expected
    first = layer_rows(kws)[0]
    assert first.split is not None
    # kws's first conv: 25x5 output pixels, 64 channels.
    assert kws.layer_macs[0].channels == first.output_elements // (25 * 5) == 64
    assert first.est_instructions == round(
        first.macs / autosplit.MACS_PER_INSTRUCTION
        + (first.split.bands - 1) * autosplit.call_overhead_of("tinyts.conv2d", 64))


def test_layerwise_model_report(kws: CompiledModel, tmp_path: Path) -> None:
    cm = dataclasses.replace(kws, strategy="layerwise", plan=kws.layerwise_plan,
                             split_layers=[], segments="", band_height=None)
    html = cm.report(tmp_path / "lw.html").read_text()
    assert "layer-wise (whole tensors)" in html
    rows = _table_rows(html, "layers")
    assert len(rows) == len(kws.layer_macs) and all("whole" in r for r in rows)


def test_report_of_a_reopened_folder(kws: CompiledModel, tmp_path: Path) -> None:
    # CompiledModel.load keeps no layer-wise plan and no MACs: the page says so.
    cm = CompiledModel.load(kws.save(tmp_path / "kws"))
    html = cm.report(tmp_path / "loaded.html").read_text()
    assert f"{kws.arena_bytes:,} B" in html and "No per-layer MACs" in html
    assert (tmp_path / "loaded_arena.png").is_file()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("Chromium not found: the report's rendering test needs it "
                "(scripts/setup.sh installs Debian's `chromium`)")


def test_page_renders_in_headless_chromium(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
           "--window-size=1200,2000", page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), f"no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}"
    rgb = _rgb(shot)
    assert rgb.shape[:2] == (2000, 1200)
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) \
        | rgb[..., 2]
    assert len(np.unique(packed)) > 2_000, "the screenshot has too few colours to be the page"
    assert (rgb.min(axis=-1) < 200).mean() > 0.05, "the screenshot is nearly blank"
    # Only the embedded plots draw these colours: the images rendered.
    assert _count(rgb, TAB_RED) > 5_000, "arena map not rendered"
    assert _count(rgb, TAB_BLUE) > 500, "memory timeline not rendered"


def test_cli_compile_writes_the_report(corpus_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "out" / "report.html"
    model = corpus_dir / "mlc_kws_ref_model.tflite"
    assert main(["compile", str(model), "-o", str(tmp_path / "kws"), "--report", str(html)]) == 0
    assert "memory report" in capsys.readouterr().out
    assert html.is_file() and (tmp_path / "out" / "report_arena.png").is_file()
    assert "TFLite Micro arena" in html.read_text()  # measured by the oracle
