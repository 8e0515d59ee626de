"""From a generation request to a `Sequence`: the prompt tokenized (images through the
projector), validated and fitted to the context, its sampler made. Any thread may run it."""

from __future__ import annotations

from pollama.errors import PollamaError
from pollama.runner import context_window
from pollama.runner.model import Model
from pollama.runner.request_options import RequestOptions
from pollama.runner.sampling import Sampler
from pollama.runner.sequence import Sequence
from pollama.runner.types import GenerateParams, RunnerSpec
from pollama.runner.vision import ImageChunk, Projector

MAX_TOP_LOGPROBS = 20


def new_sequence(
    model: Model,
    spec: RunnerSpec,
    projector: Projector | None,
    request_id: int,
    params: GenerateParams,
    *,
    can_shift: bool,
) -> Sequence:
    """Tokenize and validate a request; raises PollamaError."""
    options = RequestOptions.from_dict(params.options)
    num_ctx = spec.num_ctx
    images: dict[int, ImageChunk] = {}
    if params.images:
        tokens, images = _tokenize_with_images(projector, params)
    elif isinstance(params.prompt, str):
        tokens = model.tokenize(params.prompt, add_special=True)
    else:
        tokens = [int(t) for t in params.prompt]
        model.check_tokens(tokens)
    if not tokens:
        raise PollamaError("the prompt is empty", 400)
    has_bos = model.adds_bos
    if images and len(tokens) >= num_ctx:  # truncating would cut through an image
        for image in images.values():
            image.free()
        raise PollamaError(
            f"the prompt with its images takes {len(tokens)} tokens, more than the "
            f"context length ({num_ctx})",
            400,
        )
    tokens = context_window.fit_prompt(
        tokens, num_ctx, options.num_keep, has_bos, params.shift and can_shift
    )
    sampler = Sampler(model, options, params.grammar, num_ctx)
    return Sequence(
        request_id=request_id,
        prompt=tokens,
        options=options,
        sampler=sampler,
        max_new_tokens=options.max_new_tokens(num_ctx),
        keep=context_window.keep_count(options.num_keep, len(tokens), has_bos, num_ctx),
        shift=params.shift,
        top_logprobs=min(params.top_logprobs, MAX_TOP_LOGPROBS) if params.logprobs else None,
        adapters=tuple(params.adapters),
        images=images,
        draft_num_predict=max(0, params.draft_num_predict),
    )


def prompt_positions(
    model: Model, projector: Projector | None, text: str, images: list[str], add_special: bool
) -> list[int]:
    """What `text` takes in the context: its tokens, and with `images` each `[img-N]` tag
    replaced by images[N]'s positions (negative pseudo ids, see vision.py)."""
    if not images:
        return model.tokenize(text, add_special)
    if projector is None:
        raise PollamaError("this model does not support images", 400)
    return projector.positions(text, images)


def _tokenize_with_images(
    projector: Projector | None, params: GenerateParams
) -> tuple[list[int], dict[int, ImageChunk]]:
    if projector is None:
        raise PollamaError("this model does not support images", 400)
    if not isinstance(params.prompt, str):
        raise PollamaError("images need a text prompt with [img-N] markers", 400)
    prompt = projector.tokenize(params.prompt, params.images)
    return prompt.tokens, prompt.images
