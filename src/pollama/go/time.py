"""Go's `time`: durations (`ParseDuration`, `Duration.String`), RFC3339Nano timestamps, and
Ollama's duration decoding (`keep_alive`, `OLLAMA_KEEP_ALIVE`).

Ollama's API and environment speak Go durations (`"5m"`, `"1h30m"`, `"-1"` as a number), so
pollama parses and prints them exactly as Go does, error texts included: clients show them.
Durations are exact integers of nanoseconds inside; the public functions return float seconds,
with `math.inf` standing for "forever" (Go's `MaxInt64` nanoseconds).

Timestamps print as Go's RFC3339Nano: nanoseconds with trailing zeros trimmed, `Z` for a zero
offset, `+hh:mm` / `-hh:mm` otherwise.
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timedelta, timezone

from pollama.errors import BadRequest

NANOSECOND = 1
MICROSECOND = 1_000 * NANOSECOND
MILLISECOND = 1_000 * MICROSECOND
SECOND = 1_000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

MAX_DURATION_NS = 2**63 - 1
"""Go's largest `time.Duration`; Ollama's "forever"."""

FOREVER = math.inf
"""What the seconds-returning functions give for Go's "forever"."""

_UNITS: dict[str, int] = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # U+00B5 micro sign
    "\u03bcs": MICROSECOND,  # U+03BC Greek small letter mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}

_LIMIT = 1 << 63
_DIGITS = "0123456789"
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _quote(text: str) -> str:
    """Go's `time.quote` (not strconv.Quote): double quotes, `"` and `\\` escaped, non-ASCII as
    `\\xNN` bytes."""
    out = ['"']
    for char in text:
        if char < " " or ord(char) >= 0x80:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + char if char in '"\\' else char)
    out.append('"')
    return "".join(out)


def _invalid(original: str) -> BadRequest:
    return BadRequest(f"time: invalid duration {_quote(original)}")


def _leading_int(text: str) -> tuple[int, str] | None:
    """Consume `[0-9]*`; None when the value overflows 2**63 (Go's `errLeadingInt`)."""
    value = 0
    index = 0
    while index < len(text) and text[index] in _DIGITS:
        if value > _LIMIT // 10:
            return None
        value = value * 10 + int(text[index])
        if value > _LIMIT:
            return None
        index += 1
    return value, text[index:]


def _leading_fraction(text: str) -> tuple[int, int, str]:
    """Consume the digits after a `.`; return (digits, scale, rest). Extra digits are dropped."""
    value, scale, index, overflow = 0, 1, 0, False
    while index < len(text) and text[index] in _DIGITS:
        if not overflow:
            candidate = value * 10 + int(text[index])
            if value > (_LIMIT - 1) // 10 or candidate > _LIMIT:
                overflow = True
            else:
                value, scale = candidate, scale * 10
        index += 1
    return value, scale, text[index:]


def parse_go_duration_ns(text: str) -> int:
    """Go's `time.ParseDuration` in integer nanoseconds; errors are `BadRequest` with Go's text."""
    original, rest = text, text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise _invalid(original)
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in _DIGITS:
            raise _invalid(original)
        before = len(rest)
        leading = _leading_int(rest)
        if leading is None:
            raise _invalid(original)
        whole, rest = leading
        has_whole = len(rest) != before
        fraction, scale, has_fraction = 0, 1, False
        if rest[:1] == ".":
            rest = rest[1:]
            before = len(rest)
            fraction, scale, rest = _leading_fraction(rest)
            has_fraction = len(rest) != before
        if not has_whole and not has_fraction:
            raise _invalid(original)
        unit_end = 0
        while unit_end < len(rest) and rest[unit_end] != "." and rest[unit_end] not in _DIGITS:
            unit_end += 1
        if unit_end == 0:
            raise BadRequest(f"time: missing unit in duration {_quote(original)}")
        unit_name, rest = rest[:unit_end], rest[unit_end:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise BadRequest(
                f"time: unknown unit {_quote(unit_name)} in duration {_quote(original)}"
            )
        if whole > _LIMIT // unit:
            raise _invalid(original)
        part = whole * unit
        if fraction > 0:
            # Go goes through float64 here; doing the same keeps results bit-identical.
            part += int(float(fraction) * (float(unit) / float(scale)))
            if part > _LIMIT:
                raise _invalid(original)
        total += part
        if total > _LIMIT:
            raise _invalid(original)
    if negative:
        return -total
    if total > MAX_DURATION_NS:
        raise _invalid(original)
    return total


def parse_go_duration(text: str) -> float:
    """Go's `time.ParseDuration` in seconds (`"1h30m"` -> 5400.0); errors as Go's, `BadRequest`."""
    return parse_go_duration_ns(text) / SECOND


def _format_fraction(value: int, precision: int) -> tuple[str, int]:
    """Split `value` into `.digits` (trailing zeros dropped, '' when zero) and the whole part."""
    digits = value % 10**precision
    text = f"{digits:0{precision}d}".rstrip("0") if precision else ""
    return ("." + text if text else ""), value // 10**precision


def format_go_duration(ns: int) -> str:
    """Go's `Duration.String()`: `1.5s`, `12.345ms`, `850µs`, `2m3.5s`, `1h0m0s`, `0s`."""
    magnitude = abs(ns)
    sign = "-" if ns < 0 else ""
    if magnitude == 0:
        return "0s"
    if magnitude < SECOND:
        if magnitude < MICROSECOND:
            return f"{sign}{magnitude}ns"
        if magnitude < MILLISECOND:
            fraction, whole = _format_fraction(magnitude, 3)
            return f"{sign}{whole}{fraction}\u00b5s"
        fraction, whole = _format_fraction(magnitude, 6)
        return f"{sign}{whole}{fraction}ms"
    fraction, seconds = _format_fraction(magnitude, 9)
    minutes, seconds = divmod(seconds, 60)
    text = f"{seconds}{fraction}s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        text = f"{minutes}m{text}"
        if hours:
            text = f"{hours}h{text}"
    return sign + text


def seconds_to_ns(seconds: float) -> int:
    """Float seconds to Go nanoseconds, `inf` (forever) and overflow mapped to `MAX_DURATION_NS`."""
    if seconds == FOREVER:
        return MAX_DURATION_NS
    ns = int(seconds * SECOND)
    return max(-MAX_DURATION_NS - 1, min(ns, MAX_DURATION_NS))


def format_seconds(seconds: float) -> str:
    """A seconds value (as returned here) printed as Go prints the duration."""
    return format_go_duration(seconds_to_ns(seconds))


def _go_type_name(value: object) -> str:
    """The name Go's `reflect.TypeOf` gives a value decoded from JSON into `any`."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, int | float):
        return "float64"
    return type(value).__name__


def parse_keep_alive(value: object) -> float | None:
    """Decode a JSON `keep_alive` as Ollama's `api.Duration`: seconds, `inf` = forever.

    None (JSON null or absent) is "not set"; a number is seconds (fractions allowed); a string is
    a Go duration that must carry a unit; any negative value means forever. Anything else is
    `BadRequest("Unsupported type: '<go type>'")`.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRequest(f"Unsupported type: '{_go_type_name(value)}'")
    if isinstance(value, str):
        parsed = parse_go_duration_ns(value)
        return FOREVER if parsed < 0 else parsed / SECOND
    if math.isnan(value):
        raise BadRequest(f"Unsupported type: '{_go_type_name(value)}'")
    if value < 0:
        return FOREVER
    # Go truncates `seconds * 1e9` to whole nanoseconds; beyond the int64 range it is forever.
    ns = value * SECOND
    if ns >= MAX_DURATION_NS:
        return FOREVER
    return int(ns) / SECOND


def parse_env_duration(text: str) -> float:
    """An `OLLAMA_KEEP_ALIVE` / `OLLAMA_LOAD_TIMEOUT` value in seconds; negative is forever.

    Accepts a Go duration or a bare integer number of seconds (`"300"`); anything else raises
    the Go duration error as `BadRequest` (callers fall back to their default, as Ollama does).
    """
    try:
        ns = parse_go_duration_ns(text)
    except BadRequest:
        if not _INTEGER.fullmatch(text):
            raise
        seconds = int(text)
        if not -_LIMIT <= seconds < _LIMIT:
            raise
        ns = seconds * SECOND
    if ns < 0 or ns > MAX_DURATION_NS:
        return FOREVER  # Go would wrap around here; past ~292 years is forever anyway
    return ns / SECOND


# --- RFC3339Nano ----------------------------------------------------------------------------------


def _format(seconds: int, nanos: int, offset: timedelta) -> str:
    moment = datetime.fromtimestamp(seconds, timezone(offset))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    if fraction:
        text += "." + fraction
    total = int(offset.total_seconds())
    if total == 0:
        return text + "Z"
    sign = "+" if total > 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def utc_now() -> str:
    """`created_at` of responses: UTC now."""
    ns = time.time_ns()
    return _format(ns // 1_000_000_000, ns % 1_000_000_000, timedelta(0))


def local(timestamp_ns: int) -> str:
    """File-derived times (`modified_at`, `expires_at`): local time with its numeric offset."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    offset = datetime.fromtimestamp(seconds).astimezone().utcoffset() or timedelta(0)
    return _format(seconds, nanos, offset)


def local_from_seconds(timestamp: float) -> str:
    return local(int(timestamp * 1_000_000_000))


def utc_from_seconds(timestamp: float) -> str:
    """A file time in UTC (`Z`), whole seconds, as Anthropic's `created_at`."""
    return _format(int(timestamp), 0, timedelta(0))
