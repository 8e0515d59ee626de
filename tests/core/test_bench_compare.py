"""The pure parts of `benchmarks/compare.py` (the llama-server comparison): the figures kept,
the ratios and targets, the table, the README section. No server is started."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import compare, llama_server
from benchmarks.compare import (
    END_MARKER,
    LLAMA,
    POLLAMA,
    START_MARKER,
    Best,
    MarkersMissing,
    Metric,
    Target,
)
from benchmarks.workloads import StreamResult

RATE = Metric("rate", "a rate", "tok/s", True, Target(">=", 1.0))
TIME = Metric("time", "a time", "ms", False, Target("<=", 0.25))
SPEEDUP = Metric("speedup", "a speedup", "x", True, Target(">=", 1.5, POLLAMA))


def test_best_keeps_the_highest_rate_and_the_lowest_time() -> None:
    best = Best()
    for value in (10.0, 12.0, 11.0):
        best.add(RATE, POLLAMA, value)
        best.add(TIME, POLLAMA, value)
    assert best.get("rate", POLLAMA) == 12.0
    assert best.get("time", POLLAMA) == 10.0
    assert best.get("rate", LLAMA) is None


def test_ratio_is_pollama_over_llama_server_and_none_when_missing() -> None:
    assert compare.ratio(30.0, 40.0) == pytest.approx(0.75)
    assert compare.ratio(None, 40.0) is None
    assert compare.ratio(30.0, None) is None
    assert compare.ratio(30.0, 0.0) is None


def test_targets_bound_the_ratio_or_pollamas_own_figure() -> None:
    assert Target(">=", 1.0).met(1.0, 5.0) is True
    assert Target(">=", 1.0).met(0.99, 5.0) is False
    assert Target("<=", 0.25).met(0.2, 9.0) is True
    assert Target(">=", 1.5, POLLAMA).met(0.5, 1.6) is True  # the ratio does not matter
    assert Target(">=", 1.5, POLLAMA).met(9.0, None) is None
    assert Target(">=", 0.95).text() == "≥ 0.95x"
    assert Target(">=", 1.5, POLLAMA).text() == "pollama ≥ 1.50x"


def test_table_rows_format_values_ratio_and_verdict() -> None:
    best = Best()
    best.add(RATE, LLAMA, 40.0)
    best.add(RATE, POLLAMA, 44.0)
    best.add(TIME, LLAMA, 6.8)
    best.add(TIME, POLLAMA, 1.5)
    best.add(SPEEDUP, POLLAMA, 1.2)
    rows = compare.table_rows(best, [RATE, TIME, SPEEDUP])
    assert rows[0] == ["a rate", "40.0 tok/s", "44.0 tok/s", "1.10x", "≥ 1.00x", "yes"]
    assert rows[1] == ["a time", "6800 ms", "1500 ms", "0.22x", "≤ 0.25x", "yes"]
    assert rows[2] == ["a speedup", "n/a", "1.20", "n/a", "pollama ≥ 1.50x", "no"]


def test_missing_figures_are_n_a_without_a_verdict() -> None:
    rows = compare.table_rows(Best(), [RATE, Metric("plain", "untargeted", "%", True)])
    assert rows[0] == ["a rate", "n/a", "n/a", "n/a", "≥ 1.00x", ""]
    assert rows[1] == ["untargeted", "n/a", "n/a", "n/a", "", ""]


def test_small_ratios_keep_three_decimals_and_percentages() -> None:
    assert compare.format_value(0.021, "x") == "0.021"
    assert compare.format_value(0.5, "x") == "0.50"
    assert compare.format_value(0.8, "%") == "80.0 %"
    assert compare.format_value(1.234, "s") == "1.23 s"


def test_every_metric_renders_in_the_markdown_table() -> None:
    table = compare.markdown_table(compare.table_rows(Best()))
    lines = table.splitlines()
    assert lines[0] == "| metric | llama-server | pollama | ratio | target | met |"
    assert len(lines) == 2 + len(compare.METRICS)
    assert all(line.count("|") == 7 for line in lines)


def test_replace_section_keeps_the_markers_and_the_rest() -> None:
    text = f"# Title\n\nbefore\n{START_MARKER}\nold table\n{END_MARKER}\nafter\n"
    replaced = compare.replace_section(text, "new table\n")
    assert replaced == f"# Title\n\nbefore\n{START_MARKER}\nnew table\n{END_MARKER}\nafter\n"
    assert compare.replace_section(replaced, "new table") == replaced  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "# no markers at all\n",
        f"{START_MARKER}\nonly the start\n",
        f"{END_MARKER}\n{START_MARKER}\n",  # in the wrong order
        f"{START_MARKER}\n{START_MARKER}\n{END_MARKER}\n",
    ],
)
def test_replace_section_without_proper_markers_is_a_clear_error(text: str) -> None:
    with pytest.raises(MarkersMissing, match="bench:llama-server:start"):
        compare.replace_section(text, "table")


def test_stream_times_and_overall_rate() -> None:
    result = StreamResult(started=0.0, first=1.0, last=4.0, tokens=40, prompt_tokens=10)
    assert result.ttft == 1.0
    assert result.total == 4.0
    assert result.overall_rate == pytest.approx(10.0)
    assert StreamResult(1.0, 1.0, 1.0, 0, 10).overall_rate == 0.0


def test_derived_figures_are_quotients_of_the_best_measured_ones() -> None:
    best = Best()
    for engine, cold, warm in ((POLLAMA, 2.0, 0.1), (LLAMA, 2.5, 0.05)):
        best.add(compare.metric("prefix cold"), engine, cold)
        best.add(compare.metric("prefix warm"), engine, warm)
    best.add(compare.metric("copy plain"), POLLAMA, 40.0)
    best.add(compare.metric("copy drafted"), POLLAMA, 80.0)
    best.add(compare.metric("decode 4"), LLAMA, 70.0)
    best.add(compare.metric("invariant 4"), POLLAMA, 63.0)
    table = compare.derive(best)
    assert table.get("prefix", POLLAMA) == pytest.approx(0.05)
    assert table.get("prefix", LLAMA) == pytest.approx(0.02)
    assert table.get("copy speedup", POLLAMA) == pytest.approx(2.0)
    assert table.get("copy decode", POLLAMA) == 80.0
    assert table.get("copy speedup", LLAMA) is None  # nothing measured: n/a, not 0
    assert table.get("invariant 4", LLAMA) == 70.0  # plain llama-server at 4 streams
    rows = {row[0]: row for row in compare.table_rows(table)}
    invariant = rows["batch-invariant mode, aggregate decode, 4 concurrent"]
    assert invariant[3:] == ["0.90x", "≥ 0.85x", "yes"]


def test_without_a_batch_invariant_figure_that_row_is_n_a() -> None:
    best = Best()
    best.add(compare.metric("decode 4"), LLAMA, 70.0)
    assert compare.derive(best).get("invariant 4", LLAMA) is None


def test_llama_server_slots_split_the_total_context() -> None:
    config = llama_server.ServerConfig(model=Path("m.gguf"), slots=4, ctx_per_slot=4096)
    arguments = config.arguments(port=1234)
    assert arguments[arguments.index("--ctx-size") + 1] == "16384"
    assert arguments[arguments.index("--parallel") + 1] == "4"
    assert arguments[arguments.index("--threads-batch") + 1] == "2"


def test_the_build_cache_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POLLAMA_BENCH_CACHE", str(tmp_path))
    assert llama_server.binary_path("9.9.9") == (
        tmp_path / "llama-server-9.9.9" / "build" / "bin" / "llama-server"
    )


def test_missing_tools_skip_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLLAMA_BENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(llama_server.shutil, "which", lambda name: None)
    with pytest.raises(llama_server.BuildSkipped, match="skipped: no cmake, C\\+\\+ compiler"):
        llama_server.build("9.9.9")
