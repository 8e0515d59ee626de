"""The deprecated `context` of `/api/generate`: the tokens a previous call returned.

They go to the runner as token ids, followed by the new prompt's tokens, so the model sees
exactly the tokens it saw before, control tokens included; a text round trip would drop
them or tokenize the old answer differently. The text form is only shown (debug render) and
read by the output splitter.
"""

from __future__ import annotations

from pollama.runner.contract import Runner


async def with_context(
    runner: Runner, context: list[int] | None, prompt: str
) -> tuple[str, str | list[int]]:
    """`(text, runner prompt)` for `prompt` after `context`; without a context, the prompt
    itself twice (the runner tokenizes it and adds BOS)."""
    if not context:
        return prompt, prompt
    text = await runner.detokenize(context) + prompt
    lead = await runner.tokenize("", add_special=True)  # the BOS the model wants, if any
    start = list(context) if context[: len(lead)] == lead else lead + list(context)
    return text, start + await runner.tokenize(prompt, add_special=False)
