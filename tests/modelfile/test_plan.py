"""Modelfile -> CreatePlan: paths, files, typed parameters, and every semantic error."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from pollama.errors import BadRequest
from pollama.modelfile import CreatePlan, ModelfileError, expand_path, parse

GGUF_BYTES = b"GGUF\x03\x00\x00\x00" + bytes(24)


def gguf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GGUF_BYTES)
    return path


def plan_of(text: str, base_dir: Path) -> CreatePlan:
    return parse(text).to_create_plan(base_dir)


def plan_error(text: str, base_dir: Path) -> str:
    with pytest.raises(ModelfileError) as caught:
        plan_of(text, base_dir)
    assert caught.value.status == 400
    return caught.value.message


# --- FROM ----------------------------------------------------------------------------------------


def test_from_a_model_name(tmp_path: Path) -> None:
    plan = plan_of("FROM gemma3:270m\n", tmp_path)
    assert plan.from_model == "gemma3:270m"
    assert plan.model_files == []


@pytest.mark.parametrize("name", ["llama3.2", "hf.co/user/repo:Q4_K_M", "ns/model:tag"])
def test_from_names_that_look_like_paths(tmp_path: Path, name: str) -> None:
    assert plan_of(f"FROM {name}\n", tmp_path).from_model == name


def test_from_an_absolute_file(tmp_path: Path) -> None:
    model = gguf(tmp_path / "weights" / "model.gguf")
    plan = plan_of(f"FROM {model}\n", Path("/"))
    assert plan.model_files == [model]
    assert plan.from_model is None


@pytest.mark.parametrize("spelling", ["model.gguf", "./model.gguf", "sub/../model.gguf"])
def test_from_a_relative_file(tmp_path: Path, spelling: str) -> None:
    model = gguf(tmp_path / "model.gguf")
    (tmp_path / "sub").mkdir()
    assert plan_of(f"FROM {spelling}\n", tmp_path).model_files == [model]


def test_relative_paths_use_the_modelfile_directory_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = gguf(tmp_path / "project" / "m.gguf")
    monkeypatch.chdir(tmp_path)
    assert plan_of("FROM ../m.gguf\n", tmp_path / "project" / "sub").model_files == [model]


def test_from_a_path_with_spaces(tmp_path: Path) -> None:
    model = gguf(tmp_path / "my models" / "a b.gguf")
    assert plan_of('FROM "my models/a b.gguf"\n', tmp_path).model_files == [model]


def test_from_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    model = gguf(tmp_path / "models" / "m.gguf")
    assert plan_of("FROM ~/models/m.gguf\n", Path("/somewhere/else")).model_files == [model]
    assert plan_of("FROM ~/models\n", Path("/")).model_files == [model]


def test_expand_path_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = tmp_path / "home"
    assert expand_path("~", "/base") == home
    assert expand_path("~/a/b", "/base") == home / "a" / "b"
    assert expand_path("/abs/./x/../y", "/base") == Path("/abs/y")
    assert expand_path("rel/f.gguf", "/base") == Path("/base/rel/f.gguf")
    assert expand_path("rel", "relative-base") == Path.cwd() / "relative-base" / "rel"
    root_home = pwd.getpwnam("root").pw_dir
    assert expand_path("~root/x", "/base") == Path(root_home) / "x"
    assert expand_path("~root", "/base") == Path(root_home)


def test_unknown_user(tmp_path: Path) -> None:
    message = plan_error("FROM ~no_such_user_pollama/m.gguf\n", tmp_path)
    assert message == (
        "failed to find user 'no_such_user_pollama': user: unknown user no_such_user_pollama"
    )


def test_from_a_directory_of_ggufs(tmp_path: Path) -> None:
    directory = tmp_path / "model"
    second = gguf(directory / "model-00002-of-00002.gguf")
    first = gguf(directory / "model-00001-of-00002.gguf")
    projector = gguf(directory / "mmproj.gguf")
    (directory / "README.md").write_text("hello")
    (directory / "config.json").write_text("{}")
    plan = plan_of("FROM ./model\n", tmp_path)
    assert plan.model_files == [projector, first, second]  # sorted by name, as Go's Glob
    assert plan.from_model is None


def test_a_directory_prefers_safetensors_over_gguf_as_ollama(tmp_path: Path) -> None:
    gguf(tmp_path / "m.gguf")
    (tmp_path / "model.safetensors").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    files = plan_of("FROM .\n", tmp_path).model_files
    assert files == [tmp_path / "model.safetensors", tmp_path / "config.json"]


def test_a_hugging_face_directory_sends_weights_configs_and_tokenizer(tmp_path: Path) -> None:
    hf = tmp_path / "hf"
    names = [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
        "tokenizer.model",
        "original/params.json",
    ]
    for name in [*names, "README.md", "pytorch_model.bin", "notes.txt"]:
        (hf / name).parent.mkdir(parents=True, exist_ok=True)
        (hf / name).write_bytes(b"x")
    files = plan_of("FROM hf\n", tmp_path).model_files
    assert sorted(files) == sorted(hf / name for name in names)


def test_a_peft_adapter_directory(tmp_path: Path) -> None:
    lora = tmp_path / "lora"
    lora.mkdir()
    for name in ("adapter_model.safetensors", "adapter_config.json", "README.md"):
        (lora / name).write_bytes(b"x")
    plan = plan_of("FROM b\nADAPTER lora\n", tmp_path)
    assert plan.adapter_files == [lora / "adapter_model.safetensors", lora / "adapter_config.json"]


def test_a_directory_of_gguf_bins(tmp_path: Path) -> None:
    model = gguf(tmp_path / "d" / "ggml-model.bin")
    assert plan_of("FROM d\n", tmp_path).model_files == [model]


@pytest.mark.parametrize("name", ["pytorch_model.bin", "consolidated.00.pth"])
def test_pytorch_directories_are_refused(tmp_path: Path, name: str) -> None:
    directory = tmp_path / "hf"
    directory.mkdir()
    (directory / name).write_bytes(b"PK\x03\x04")
    assert plan_error("FROM hf\n", tmp_path) == (
        f"{directory}: pytorch models cannot be converted by pollama; "
        "use safetensors or a GGUF file"
    )


def test_a_single_safetensors_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w.safetensors").write_bytes(b"x")
    message = plan_error("FROM w.safetensors\n", tmp_path)
    assert message.startswith(f"{tmp_path / 'w.safetensors'}: a safetensors model is a directory")
    (tmp_path / "w.pth").write_bytes(b"x")
    assert plan_error("FROM w.pth\n", tmp_path).endswith(
        "pytorch models cannot be converted by pollama; use safetensors or a GGUF file"
    )


@pytest.mark.parametrize(
    "files",
    [[], ["README.md", "config.json"], ["notes.bin"], ["sub/model.gguf"]],
)
def test_directory_without_model_files(tmp_path: Path, files: list[str]) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    for name in files:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text("not a model")
    assert plan_error("FROM empty\n", tmp_path) == "no Modelfile or safetensors files found"


def test_symlink_inside_the_directory_is_followed(tmp_path: Path) -> None:
    target = gguf(tmp_path / "d" / "blobs" / "real.gguf")
    (tmp_path / "d" / "link.gguf").symlink_to(target)
    assert plan_of("FROM d\n", tmp_path).model_files == [target]


def test_symlink_escaping_the_directory_is_refused(tmp_path: Path) -> None:
    outside = gguf(tmp_path / "outside.gguf")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "model.gguf").symlink_to(outside)
    assert plan_error("FROM d\n", tmp_path) == "insecure path: ../outside.gguf"


def test_symlink_into_a_cache_gets_the_hint(tmp_path: Path) -> None:
    cached = gguf(tmp_path / ".cache" / "m.gguf")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "m.gguf").symlink_to(cached)
    assert plan_error("FROM d\n", tmp_path) == (
        "insecure path: ../.cache/m.gguf\n\n"
        "Use --local-dir <dir> when downloading model to disable caching"
    )


def test_several_froms_merge_files(tmp_path: Path) -> None:
    model = gguf(tmp_path / "model.gguf")
    projector = gguf(tmp_path / "mmproj.gguf")
    plan = plan_of("FROM model.gguf\nFROM mmproj.gguf\nFROM model.gguf\n", tmp_path)
    assert plan.model_files == [model, projector]


def test_last_from_name_wins(tmp_path: Path) -> None:
    assert plan_of("FROM a\nFROM b\n", tmp_path).from_model == "b"


def test_unreadable_path_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    message = plan_error("FROM file/inside\n", tmp_path)
    assert message == f"stat {tmp_path / 'file' / 'inside'}: not a directory"


# --- ADAPTER and DRAFT ---------------------------------------------------------------------------


def test_adapter(tmp_path: Path) -> None:
    adapter = gguf(tmp_path / "lora.gguf")
    plan = plan_of("FROM base\nADAPTER lora.gguf\n", tmp_path)
    assert plan.adapter_files == [adapter]
    assert plan.from_model == "base"


def test_last_adapter_wins(tmp_path: Path) -> None:
    gguf(tmp_path / "one.gguf")
    two = gguf(tmp_path / "two.gguf")
    assert plan_of("FROM b\nADAPTER one.gguf\nADAPTER two.gguf\n", tmp_path).adapter_files == [two]


def test_adapter_must_exist(tmp_path: Path) -> None:
    message = plan_error("FROM base\nADAPTER ./missing-lora.gguf\n", tmp_path)
    assert message == f"stat {tmp_path / 'missing-lora.gguf'}: no such file or directory"


def test_an_adapter_directory_with_both_prefers_the_adapter(tmp_path: Path) -> None:
    (tmp_path / "lora").mkdir()
    (tmp_path / "lora" / "adapter_model.safetensors").write_bytes(b"x")
    (tmp_path / "lora" / "model.safetensors").write_bytes(b"x")
    files = plan_of("FROM b\nADAPTER lora\n", tmp_path).adapter_files
    assert files == [tmp_path / "lora" / "adapter_model.safetensors"]


def test_draft(tmp_path: Path) -> None:
    draft = gguf(tmp_path / "small.gguf")
    assert plan_of("FROM big\nDRAFT small.gguf\n", tmp_path).draft_files == [draft]
    assert plan_error("FROM big\nDRAFT none.gguf\n", tmp_path).endswith("no such file or directory")


@pytest.mark.parametrize("text", ["FROM m.gguf\nDRAFT ./m.gguf\n", "DRAFT .\nFROM .\n"])
def test_draft_must_differ_from_the_model(tmp_path: Path, text: str) -> None:
    gguf(tmp_path / "m.gguf")
    message = plan_error(text, tmp_path)
    assert message.startswith("DRAFT must not reference the same local path as FROM: ")


# --- the other instructions ----------------------------------------------------------------------


def test_full_plan(tmp_path: Path) -> None:
    text = (
        "FROM gemma3\n"
        "TEMPLATE first\n"
        'TEMPLATE """{{ .System }}\n{{ .Prompt }}"""\n'
        "SYSTEM one\n"
        "SYSTEM two\n"
        "PARAMETER temperature 0.7\n"
        "PARAMETER temperature 0.2\n"
        "PARAMETER num_ctx 8192\n"
        "PARAMETER use_mmap false\n"
        "PARAMETER stop <|end|>\n"
        'PARAMETER stop " User:"\n'
        "PARAMETER mirostat 2\n"
        "PARAMETER penalize_newline true\n"
        "LICENSE MIT\n"
        'LICENSE """Apache\nLicense"""\n'
        "MESSAGE user Hi: there\n"
        "MESSAGE assistant Hello!\n"
        "REQUIRES v0.14.0\n"
        "RENDERER r\n"
        "PARSER p\n"
    )
    assert plan_of(text, tmp_path) == CreatePlan(
        from_model="gemma3",
        template="{{ .System }}\n{{ .Prompt }}",
        system="two",
        parameters={
            "temperature": 0.2,
            "num_ctx": 8192,
            "use_mmap": False,
            "stop": ["<|end|>", " User:"],
        },
        licenses=["MIT", "Apache\nLicense"],
        messages=[
            {"role": "user", "content": "Hi: there"},
            {"role": "assistant", "content": "Hello!"},
        ],
        requires="0.14.0",
        renderer="r",
        parser="p",
        warnings=[
            "warning: parameter mirostat is deprecated",
            "warning: parameter penalize_newline is deprecated",
        ],
    )


def test_empty_plan_fields(tmp_path: Path) -> None:
    plan = plan_of("FROM m\n", tmp_path)
    assert (plan.template, plan.system, plan.requires) == (None, None, None)
    assert plan.parameters == {} and plan.messages == [] and plan.licenses == []
    assert plan.warnings == [] and plan.adapter_files == []


def test_empty_system_is_kept_as_written(tmp_path: Path) -> None:
    assert plan_of('FROM m\nSYSTEM ""\n', tmp_path).system == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("PARAMETER temperature warm", "invalid float value [warm]"),
        ("PARAMETER num_ctx 4k", "invalid int value [4k]"),
        ("PARAMETER use_mmap maybe", "invalid bool value [maybe]"),
        ("PARAMETER bogus 1", "unknown parameter 'bogus'"),
        ("PARAMETER Temperature 1", "unknown parameter 'Temperature'"),
        ("PARAMETER system 1", "unknown parameter 'system'"),
        ("PARAMETER  top_k 3", "unknown parameter ''"),
    ],
)
def test_parameter_errors(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        plan_of(f"FROM m\n{line}\n", tmp_path)
    assert caught.value.message == message
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0.14.0", "0.14.0"),
        ("v0.14.0", "0.14.0"),
        ("1", "1"),
        ("1.2", "1.2"),
        ("1.2.3-rc.1", "1.2.3-rc.1"),
        ("1.2.3-alpha-1.0+build.07", "1.2.3-alpha-1.0+build.07"),
        ("0.0.0+meta", "0.0.0+meta"),
    ],
)
def test_requires_valid(tmp_path: Path, written: str, stored: str) -> None:
    assert plan_of(f"FROM m\nREQUIRES {written}\n", tmp_path).requires == stored


@pytest.mark.parametrize(
    "written",
    ["latest", "01.2.3", "1.02", "1.2.3.4", "1.2-rc1", "1.2.3-01", "1.2.3-", "1.2.3+", "vv1", ""],
)
def test_requires_invalid(tmp_path: Path, written: str) -> None:
    message = plan_error(f"FROM m\nREQUIRES {written}\n", tmp_path)
    assert message == "requires must be a valid semver (e.g. 0.14.0)"


def test_plan_accepts_a_string_base_dir(tmp_path: Path) -> None:
    model = gguf(tmp_path / "m.gguf")
    assert parse("FROM m.gguf\n").to_create_plan(str(tmp_path)).model_files == [model]
    assert os.path.isabs(model)
