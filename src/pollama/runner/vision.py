"""The vision projector (a model's mmproj layer) through llama.cpp's mtmd library.

Loaded with the model when the spec names one. A prompt with images arrives as text with
Ollama's `[img-N]` markers (see serving/images.py); `tokenize` puts mtmd's own marker in
their place and lets mtmd split the prompt into text tokens and image chunks. The result is
one flat list of positions: text positions hold token ids, image positions hold pseudo ids
(negative, derived from a hash of the image's bytes), so the slots' longest-common-prefix
compares images by content: the same image matches, another image never does.

Only the engine thread evaluates chunks; tokenizing (decoding and preprocessing the images)
may run on other threads, so both hold the projector's lock.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_cpp import mtmd_cpp as mtmd

from pollama.errors import BadRequest, PollamaError
from pollama.runner.model import Model

IMAGE_TAG = re.compile(r"\[img-(\d+)\]")
# Our own media marker, so a prompt that happens to contain mtmd's default one stays text.
MEDIA_MARKER = b"<__pollama_media__>"
_PSEUDO_SPACE = 1 << 62


@dataclass
class ImageChunk:
    """One image of a prompt: mtmd's chunk (owned: freed with `free`) and its positions."""

    pointer: Any
    n_tokens: int
    digest: bytes  # sha256 of the image's bytes

    def pseudo_ids(self) -> list[int]:
        base = int.from_bytes(self.digest[:8], "little")
        return [-1 - (base + k) % _PSEUDO_SPACE for k in range(self.n_tokens)]

    def free(self) -> None:
        if self.pointer:
            mtmd.mtmd_input_chunk_free(self.pointer)
            self.pointer = None


@dataclass
class VisionPrompt:
    tokens: list[int]  # every position: token ids, and pseudo ids where images are
    images: dict[int, ImageChunk]  # position of an image's first token -> the image


class Projector:
    def __init__(self, model: Model, path: Path) -> None:
        if not Path(path).is_file():
            raise PollamaError(f"projector file not found: {path}")
        params = mtmd.mtmd_context_params_default()
        params.use_gpu = model.spec.num_gpu != 0
        params.n_threads = model.spec.threads
        params.print_timings = False
        params.warmup = False
        params.media_marker = MEDIA_MARKER
        self._ctx = mtmd.mtmd_init_from_file(str(path).encode(), model.ptr, params)
        if not self._ctx:  # llama.cpp logged why (an error: it reaches stderr)
            raise PollamaError(
                f"unable to load projector {path}: llama.cpp refused it "
                f"(a broken file, or not a projector for this model's {model.n_embd} "
                "embedding size?)"
            )
        if mtmd.mtmd_decode_use_mrope(self._ctx):
            self.close()
            raise PollamaError(f"unable to load projector {path}: M-RoPE is not supported")
        self._model = model
        self._lock = threading.Lock()

    def tokenize(self, prompt: str, images: list[str]) -> VisionPrompt:
        """The prompt's positions, each `[img-N]` replaced by images[N]; raises BadRequest."""
        order: list[int] = []

        def to_marker(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(images):
                raise BadRequest(f"invalid image index: {index}")
            order.append(index)
            return MEDIA_MARKER.decode()

        text = IMAGE_TAG.sub(to_marker, prompt).encode("utf-8")
        data = [_decode_base64(images[index]) for index in order]
        with self._lock:
            return self._tokenize(text, data)

    def positions(self, prompt: str, images: list[str]) -> list[int]:
        """`tokenize`'s positions alone (what the prompt takes in the context): for counting."""
        vision_prompt = self.tokenize(prompt, images)
        for image in vision_prompt.images.values():
            image.free()
        return vision_prompt.tokens

    def _tokenize(self, text: bytes, images: list[bytes]) -> VisionPrompt:
        bitmaps = [self._bitmap(image) for image in images]
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            if any(not bitmap for bitmap in bitmaps):
                raise BadRequest("failed to decode image: not a PNG, JPEG or other known format")
            part = mtmd.mtmd_input_text(
                text=text, text_len=len(text), add_special=True, parse_special=True
            )
            array = (mtmd.mtmd_bitmap_p_ctypes * max(len(bitmaps), 1))(*bitmaps)
            status = mtmd.mtmd_tokenize(self._ctx, chunks, ctypes.byref(part), array, len(bitmaps))
            if status != 0:
                raise BadRequest(f"unable to tokenize the prompt with its images (status {status})")
            return self._positions(chunks, images)
        finally:
            mtmd.mtmd_input_chunks_free(chunks)
            for bitmap in bitmaps:
                if bitmap:
                    mtmd.mtmd_bitmap_free(bitmap)

    def _bitmap(self, image: bytes) -> Any:
        buffer = (ctypes.c_uint8 * len(image)).from_buffer_copy(image)
        return mtmd.mtmd_helper_bitmap_init_from_buf(self._ctx, buffer, len(image), False)

    def _positions(self, chunks: Any, images: list[bytes]) -> VisionPrompt:
        tokens: list[int] = []
        found: dict[int, ImageChunk] = {}
        seen = 0
        try:
            for index in range(mtmd.mtmd_input_chunks_size(chunks)):
                chunk = mtmd.mtmd_input_chunks_get(chunks, index)
                kind = mtmd.mtmd_input_chunk_get_type(chunk)
                if kind == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                    count = ctypes.c_size_t()
                    pointer = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
                    tokens.extend(pointer[i] for i in range(count.value))
                    continue
                if kind != mtmd.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                    raise BadRequest("only images are supported as media")
                n_tokens = mtmd.mtmd_input_chunk_get_n_tokens(chunk)
                if mtmd.mtmd_input_chunk_get_n_pos(chunk) != n_tokens:
                    raise BadRequest("images whose positions differ from their tokens")
                image = ImageChunk(
                    mtmd.mtmd_input_chunk_copy(chunk),
                    n_tokens,
                    hashlib.sha256(images[seen]).digest(),
                )
                seen += 1
                found[len(tokens)] = image
                tokens.extend(image.pseudo_ids())
        except BaseException:
            for image in found.values():
                image.free()
            raise
        return VisionPrompt(tokens, found)

    def evaluate(self, ctx: Any, image: ImageChunk, n_past: int, seq_id: int, n_batch: int) -> None:
        """Encode `image` and decode its embeddings into `seq_id` at `n_past`."""
        new_n_past = ctypes.c_int32(0)
        with self._lock:
            status = mtmd.mtmd_helper_eval_chunk_single(
                self._ctx, ctx, image.pointer, n_past, seq_id, n_batch, False,
                ctypes.byref(new_n_past),
            )  # fmt: skip
        if status != 0:
            raise PollamaError(f"failed to evaluate an image (status {status})")

    def close(self) -> None:
        if self._ctx:
            mtmd.mtmd_free(self._ctx)
            self._ctx = None


def _decode_base64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequest(f"invalid image data: {error}") from error
