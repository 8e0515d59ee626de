"""Go's fmt.Sprintf for the template `printf` builtin."""

from __future__ import annotations

from typing import Any

from pollama.templates.gotypes import go_type_name, is_nil
from pollama.templates.printing import Spec, format_value

_FLAGS = {"+": "plus", "-": "minus", "#": "sharp", " ": "space", "0": "zero"}


def _number(fmt: str, i: int) -> tuple[int | None, int]:
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    return (int(fmt[start:i]) if i > start else None), i


def sprintf(fmt: str, args: list[Any]) -> str:
    """Format `args` per `fmt` with Go's verbs, flags, width and precision.

    Problems are reported inline as Go does: `%!d(MISSING)`, `%!d(string=x)`,
    `%!(EXTRA int=1)`, `%!(NOVERB)`.
    """
    out: list[str] = []
    arg_index = 0
    i = 0
    while i < len(fmt):
        percent = fmt.find("%", i)
        if percent < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:percent])
        i = percent + 1
        flags: dict[str, bool] = {}
        while i < len(fmt) and fmt[i] in _FLAGS:
            flags[_FLAGS[fmt[i]]] = True
            i += 1
        width, i = _number(fmt, i)
        if i < len(fmt) and fmt[i] == "*":
            i += 1
            width, arg_index = _star(args, arg_index, out)
            if width is not None and width < 0:
                flags["minus"], width = True, -width
        prec = None
        if i < len(fmt) and fmt[i] == ".":
            i += 1
            if i < len(fmt) and fmt[i] == "*":
                i += 1
                prec, arg_index = _star(args, arg_index, out)
                prec = None if prec is not None and prec < 0 else prec
            else:
                prec, i = _number(fmt, i)
                prec = prec or 0
        if i >= len(fmt):
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if arg_index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        spec = Spec(verb=verb, width=width, prec=prec, **flags)
        out.append(format_value(args[arg_index], spec))
        arg_index += 1
    if arg_index < len(args):
        extra = ", ".join(
            "<nil>" if is_nil(arg) else f"{go_type_name(arg)}={format_value(arg)}"
            for arg in args[arg_index:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _star(args: list[Any], arg_index: int, out: list[str]) -> tuple[int | None, int]:
    """A `*` width or precision taken from the next argument."""
    if arg_index < len(args) and isinstance(args[arg_index], int):
        return args[arg_index], arg_index + 1
    out.append("%!(BADWIDTH)")
    return None, arg_index + (1 if arg_index < len(args) else 0)
