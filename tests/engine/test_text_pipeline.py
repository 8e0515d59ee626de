"""Stop strings and UTF-8 holding: pure, no model."""

from __future__ import annotations

from pollama.runner.stops import StopMatcher
from pollama.runner.utf8 import Utf8Holder


def feed_all(matcher: StopMatcher, pieces: list[str]) -> tuple[list[str], str]:
    out = [matcher.feed(piece) for piece in pieces]
    return out, "".join(out) + matcher.flush()


def test_stop_across_pieces_is_cut_and_never_leaked() -> None:
    matcher = StopMatcher(["<|end|>"])
    emitted, text = feed_all(matcher, ["Hello", " wor", "ld<", "|e", "nd", "|> more"])
    assert text == "Hello world"
    assert matcher.stopped
    assert all("<" not in piece for piece in emitted)


def test_partial_stop_is_held_then_released_when_it_diverges() -> None:
    matcher = StopMatcher(["STOP"])
    assert matcher.feed("abc ST") == "abc "
    assert matcher.feed("OCK") == "STOCK"
    assert not matcher.stopped


def test_held_text_is_released_at_the_end() -> None:
    matcher = StopMatcher(["\n\n"])
    assert matcher.feed("line\n") == "line"
    assert matcher.flush() == "\n"


def test_earliest_of_several_stops_wins() -> None:
    matcher = StopMatcher(["world", "lo w"])
    _, text = feed_all(matcher, ["hello world"])
    assert text == "hel"


def test_stop_inside_one_piece_drops_the_rest() -> None:
    matcher = StopMatcher(["END"])
    assert matcher.feed("abcENDxyz") == "abc"
    assert matcher.feed("more") == ""
    assert matcher.flush() == ""


def test_no_stops_passes_through_and_empty_stops_are_ignored() -> None:
    matcher = StopMatcher(["", ""])
    assert matcher.feed("a<b") == "a<b"
    assert matcher.flush() == ""


def test_stop_that_repeats_its_own_prefix() -> None:
    matcher = StopMatcher(["aab"])
    _, text = feed_all(matcher, ["a", "a", "a", "b", "c"])
    assert text == "a"


def test_utf8_holder_never_splits_a_character() -> None:
    data = "héllo 🌍 日本".encode()
    holder = Utf8Holder()
    pieces = [holder.feed(data[i : i + 1]) for i in range(len(data))]
    assert "".join(pieces) + holder.flush() == "héllo 🌍 日本"
    assert all("\ufffd" not in piece for piece in pieces)


def test_utf8_holder_holds_incomplete_tail_across_pieces() -> None:
    emoji = "🌍".encode()  # 4 bytes
    holder = Utf8Holder()
    assert holder.feed(b"a" + emoji[:2]) == "a"
    assert holder.feed(emoji[2:3]) == ""
    assert holder.feed(emoji[3:] + b"b") == "🌍b"


def test_utf8_holder_replaces_broken_bytes_at_the_end() -> None:
    holder = Utf8Holder()
    assert holder.feed(b"ok\xe6\x97") == "ok"
    assert holder.flush() == "\ufffd"


def test_utf8_holder_passes_invalid_bytes_in_the_middle_replaced() -> None:
    holder = Utf8Holder()
    assert holder.feed(b"a\x80b") == "a\ufffdb"
