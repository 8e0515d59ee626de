"""Whether a LoRA adapter GGUF fits a base model GGUF, checked from their headers alone.

The rules are llama.cpp's (`llama_adapter_lora_init_impl` in src/llama-adapter.cpp), so an
adapter that passes here loads there, and one that would fail is refused at create instead
of at the first request:
- `general.architecture` is the base's, `adapter.type` is `lora`;
- every tensor is `<base tensor>.lora_a` or `.lora_b`, in pairs, over a tensor the base has;
- with the base tensor's shape [n_in, n_out] (ne0 first), lora_a is [n_in, r] and lora_b is
  [r, n_out]; for `token_embd.weight` the roles are swapped (lora_b [r, n_in], lora_a
  [r, n_out]).
Activated LoRAs (`adapter.alora.*`) are refused: they apply only from an invocation sequence
on, which the engine does not do.
"""

from __future__ import annotations

from pollama.errors import BadRequest
from pollama.gguf.metadata import GGUFInfo

_SUFFIXES = (".lora_a", ".lora_b")


def adapter_problems(adapter: GGUFInfo, base: GGUFInfo) -> list[str]:
    """Why `adapter` cannot be applied over `base`; empty when it can."""
    if adapter.architecture != base.architecture:
        return [
            f"adapter architecture '{adapter.architecture}' does not match the base model's "
            f"'{base.architecture}'"
        ]
    kind = adapter.kv.get("adapter.type")
    if kind != "lora":
        return [f"adapter.type must be 'lora', not {kind!r}"]
    if any(key.startswith("adapter.alora.") for key in adapter.kv):
        return ["activated LoRA adapters (adapter.alora) are not supported"]
    pairs: dict[str, dict[str, list[int]]] = {}
    for tensor in adapter.tensors:
        suffix = next((s for s in _SUFFIXES if tensor.name.endswith(s)), None)
        if suffix is None:
            return [f"tensor '{tensor.name}' has an unexpected suffix (want .lora_a or .lora_b)"]
        pairs.setdefault(tensor.name[: -len(suffix)], {})[suffix] = tensor.shape
    if not pairs:
        return ["the adapter has no LoRA tensors"]
    base_shapes = {tensor.name: tensor.shape for tensor in base.tensors}
    problems: list[str] = []
    for name, pair in pairs.items():
        problem = _pair_problem(name, pair, base_shapes.get(name))
        if problem:
            problems.append(problem)
            if len(problems) == 3:  # enough to say it is the wrong base
                break
    return problems


def _pair_problem(name: str, pair: dict[str, list[int]], base: list[int] | None) -> str | None:
    a, b = pair.get(".lora_a"), pair.get(".lora_b")
    if a is None or b is None:
        return f"LoRA tensor pair for '{name}' is missing one component"
    if base is None:
        return f"tensor '{name}' does not exist in the base model"
    if len(a) != 2 or len(b) != 2 or len(base) < 2:
        return f"tensor '{name}' is not a matrix"
    if name.endswith("token_embd.weight"):
        fits = base[0] == b[1] and base[1] == a[1]
    else:
        fits = base[0] == a[0] and base[1] == b[1] and a[1] == b[0]
    if not fits:
        return (
            f"tensor '{name}' has the wrong shape for the base model: base {base[:2]}, "
            f"lora_a {a}, lora_b {b}"
        )
    return None


def check_adapter_fits(filename: str, adapter: GGUFInfo, base: GGUFInfo | None) -> None:
    """Raise BadRequest (create's 400) when `adapter` cannot be applied over `base` (None when
    the base's weights are not known: nothing to check against)."""
    if base is None:
        return
    problems = adapter_problems(adapter, base)
    if problems:
        raise BadRequest(
            f"{filename}: the adapter does not fit the base model: {'; '.join(problems)}"
        )
