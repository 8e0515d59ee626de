"""What a conversion refuses: a 400 naming the problem, raised before anything is written."""

from __future__ import annotations

from pollama.errors import BadRequest


class ConvertError(BadRequest):
    """The directory cannot be converted: unsupported architecture, a missing file, a tensor
    of the wrong dtype or shape. The message names the file or tensor."""
