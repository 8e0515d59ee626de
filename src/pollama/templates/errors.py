"""The one error the template engine raises."""

from __future__ import annotations

from pollama.errors import BadRequest


class TemplateError(BadRequest):
    """A template failed to parse (400) or to execute (raised with `status=500`).

    The message is Go's, e.g. `template: :3: unexpected "}" in operand` for a parse error or
    `template: :1:7: executing "" at <.Foo.Bar>: nil pointer evaluating interface {}.Bar`.
    """
