"""Prompt lookup drafting: guess the next tokens by finding the context's last few tokens
earlier in the context and copying what followed them there.

Outputs that copy their input (code edits, quotes, rewrites of a JSON document) repeat long runs
of the prompt, so the tokens after an earlier occurrence of the current suffix are often exactly
what the model generates next. llama-server's `--spec-type ngram-simple` does the same with one
n-gram length; here the longest matching length wins (as in "prompt lookup decoding").

Pure Python, no model: an index from n-gram to its latest position makes a step cost
O(max_ngram) dictionary operations whatever the context's length.
"""

from __future__ import annotations

# llama.cpp's n-gram cache (common/ngram-cache.h) looks up n-grams of 1 to 4 tokens; a single
# token matches too often to be worth a draft, so lookups start at 2.
DEFAULT_MIN_NGRAM = 2
DEFAULT_MAX_NGRAM = 4


class NgramIndex:
    """Where each n-gram of a token list last occurred, for the lengths min_ngram..max_ngram.

    Entries map the n-gram's tokens (a tuple: lengths never collide) to the position right after
    it, and only cover n-grams followed by at least one token: the context's own suffix is
    never its own earlier occurrence. N-grams holding a negative id (an image position) are left
    out, so they never match.
    """

    def __init__(self, min_ngram: int = DEFAULT_MIN_NGRAM, max_ngram: int = DEFAULT_MAX_NGRAM):
        if not 1 <= min_ngram <= max_ngram:
            raise ValueError("n-gram lengths must satisfy 1 <= min_ngram <= max_ngram")
        self.min_ngram = min_ngram
        self.max_ngram = max_ngram
        self._after: dict[tuple[int, ...], int] = {}
        self.length = 0  # tokens of the context indexed so far
        self._last_token = 0  # context[length - 1], to notice a context that is not ours

    def reset(self) -> None:
        self._after.clear()
        self.length = 0

    def covers(self, context: list[int]) -> bool:
        """Whether `context` extends the tokens indexed so far (a cheap check: length and the
        last indexed token; a generation's context only ever grows by appended tokens)."""
        n = self.length
        return n == 0 or (len(context) >= n and context[n - 1] == self._last_token)

    def extend(self, context: list[int]) -> None:
        """Index `context`, re-indexing from scratch when it does not extend what was indexed."""
        if not self.covers(context):
            self.reset()
        after = self._after
        lo, hi = self.min_ngram, self.max_ngram
        # Position p becomes indexable once a token follows it: p ranges to len(context) - 1.
        for p in range(max(self.length, lo), len(context)):
            shortest = context[p - lo : p]
            if min(shortest) < 0:
                continue  # every gram ending at p holds this negative id
            after[tuple(shortest)] = p
            for n in range(lo + 1, min(hi, p) + 1):
                if context[p - n] < 0:
                    break  # and so would every longer one
                after[tuple(context[p - n : p])] = p
        if len(context) > self.length:
            self.length = len(context)
            self._last_token = context[-1]

    def lookup(self, context: list[int], limit: int) -> list[int]:
        """Up to `limit` tokens that followed the latest earlier occurrence of the longest
        matching suffix n-gram of `context` (indexed already), never past its end; [] when no
        suffix occurred earlier."""
        end = len(context)
        if limit <= 0:
            return []
        after = self._after
        for n in range(min(self.max_ngram, end - 1), self.min_ngram - 1, -1):
            start = after.get(tuple(context[end - n :]))
            if start is not None:
                proposal = context[start : min(start + limit, end)]
                for i, token in enumerate(proposal):
                    if token < 0:
                        return proposal[:i]
                return proposal
        return []


class NgramDrafter:
    """One sequence's prompt lookup drafter: `propose` indexes whatever part of the context it
    has not seen yet, or starts over when the context is not an extension of the last one."""

    def __init__(self, min_ngram: int = DEFAULT_MIN_NGRAM, max_ngram: int = DEFAULT_MAX_NGRAM):
        self.index = NgramIndex(min_ngram, max_ngram)

    def propose(self, context: list[int], limit: int) -> list[int]:
        """Up to `limit` tokens likely to follow `context`; [] when it has no guess."""
        self.index.extend(context)
        return self.index.lookup(context, limit)
