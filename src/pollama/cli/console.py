"""All terminal output goes through these two rich consoles.

Model and server text (names, templates, tokens, errors) is printed with `markup=False` or as
`Text`; emoji codes are off too, so `:smile:` in a template prints as typed."""

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def print_unsqueezed(out: Console, table: Table) -> None:
    """Print at the table's natural width when writing to a pipe or file (which rich takes to
    be 80 columns wide), so scripts never see cut-off names; a terminal still gets a fit."""
    if out.is_terminal:
        out.print(table)
        return
    natural = Measurement.get(out, out.options.update_width(10_000), table).maximum
    saved = out.width
    out.width = max(saved, natural)
    try:
        out.print(table)
    finally:
        out.width = saved
