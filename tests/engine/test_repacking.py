"""Repacked weights are refused where llama.cpp's AMX kernels would take them (they crash)."""

from __future__ import annotations

import llama_cpp as llama

from pollama.runner.model import repacking_is_safe

AVX2 = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | OPENMP = 1 | REPACK = 1 | "
AMX = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 | "


def test_a_build_without_amx_repacks() -> None:
    assert repacking_is_safe(AVX2)


def test_a_build_with_amx_kernels_keeps_the_plain_layout() -> None:
    assert not repacking_is_safe(AMX)


def test_without_an_argument_it_reads_this_builds_own_system_info() -> None:
    llama.llama_backend_init()
    info = llama.llama_print_system_info().decode()
    assert repacking_is_safe() == ("AMX_INT8 = 1" not in info)
