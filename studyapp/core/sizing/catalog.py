"""The sizing catalog: models, devices, formats and runtime profiles, each with its source.

The data lives in ``data/*.json`` inside the package and is read with
:mod:`importlib.resources`, so it works from an installed wheel as well as a checkout.
Ids are lowercase and hyphenated; lookups are case-insensitive, accept aliases
("llama3-8b", "bf16", "a100") and raise :class:`UnknownIdError` with the closest ids
so a typo gets a useful answer instead of a stack trace.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from studyapp.core.sizing.units import GB, GIB, MIB

__all__ = [
    "Catalog",
    "Device",
    "Format",
    "Model",
    "NotATransformerError",
    "ParamOnlyModel",
    "Profile",
    "UnknownIdError",
    "load_catalog",
]

Kind = Literal["model", "format", "device"]
MemUnit = Literal["GiB", "MiB", "GB"]
_MEM_UNITS: dict[str, float] = {"GiB": GIB, "MiB": MIB, "GB": GB}


class UnknownIdError(LookupError):
    """An id that names nothing in the catalog; ``matches`` are the closest known ids."""

    def __init__(self, kind: str, given: str, matches: list[str], known: list[str]) -> None:
        hint = f"; did you mean {', '.join(matches)}?" if matches else ""
        super().__init__(f"unknown {kind} {given!r}{hint} (known: {', '.join(known)})")
        self.kind = kind
        self.given = given
        self.matches = matches


class NotATransformerError(UnknownIdError):
    """A catalog entry that is not a transformer (MobileNet, EfficientNet): only its count is known.

    The sizing formulas need layers, heads and a KV cache; computing them for a CNN would
    print confident nonsense, so asking for one is refused with the count it does have.
    It is an :class:`UnknownIdError` (unknown *to the formulas*) so every caller that
    already reports an unknown id (the ``size`` command, the calculator) reports this too.
    """

    def __init__(self, entry: ParamOnlyModel) -> None:
        LookupError.__init__(
            self,
            f"{entry.name} is a {entry.architecture.upper()}, not a transformer: the catalog gives"
            f" only its parameter count ({entry.published_params:,}; {entry.published_source})",
        )
        self.kind = "model"
        self.given = entry.id
        self.matches = []
        self.entry = entry


@dataclass(frozen=True)
class ParamOnlyModel:
    """A model the notes name whose architecture the transformer formulas cannot describe.

    ``architecture`` is the documented flag ("cnn"): these entries live outside
    ``Catalog.models``, so every formula, calc card and lint check skips them, and
    :meth:`Catalog.model` raises :class:`NotATransformerError` for them.
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    architecture: str
    published_params: int
    published_source: str
    note: str

    def weight_bytes(self, bits: float) -> float:
        """Weights at ``bits`` per parameter: the one size a parameter count does determine."""
        return self.published_params * bits / 8


@dataclass(frozen=True, eq=False)  # identity hash: per-model figures are cached
class Model:
    """One model's architecture as read from its config, plus the published count to check against."""

    id: str
    name: str
    aliases: tuple[str, ...]
    arch: dict[str, Any]
    published_params: int
    published_rel_tol: float
    published_source: str
    config_source: str
    published_active_params: int | None = None
    published_active_rel_tol: float = 0.0

    def get(self, key: str, default: Any = None) -> Any:
        return self.arch.get(key, default)

    @property
    def num_layers(self) -> int:
        return int(self.arch["num_layers"])

    @property
    def n_q(self) -> int:
        return int(self.arch["num_attention_heads"])

    @property
    def n_kv(self) -> int:
        return int(self.arch["num_key_value_heads"])

    @property
    def head_dim(self) -> int:
        return int(self.arch["head_dim"])

    @property
    def hidden(self) -> int:
        return int(self.arch["hidden_size"])

    @property
    def vocab(self) -> int:
        return int(self.arch["vocab_size"])

    @property
    def max_context(self) -> int:
        return int(self.arch["max_context"])

    @property
    def experts(self) -> int:
        return int(self.arch.get("num_experts", 1))

    @property
    def top_k(self) -> int:
        return int(self.arch.get("experts_per_token", 1))

    @property
    def kv_heads(self) -> int:
        """KV "heads" split across tensor-parallel ranks: n_kv, or 1 for MLA (the latent is replicated)."""
        return 1 if self.arch.get("attention") == "mla" else self.n_kv

    @property
    def kv_elems_per_head(self) -> int:
        """Cached elements per head, layer and token: K and V = 2*d; MLA latent = kv_lora_rank + rope dims."""
        if self.arch.get("encoder_only"):
            return 0  # an encoder keeps no KV cache
        if self.arch.get("attention") == "mla":
            return int(self.arch["kv_lora_rank"]) + int(self.arch["qk_rope_head_dim"])
        return 2 * self.head_dim

    @property
    def window(self) -> int:
        """Sliding-window length (0: none); ``local_layers`` of the layers cache at most this many tokens."""
        return int(self.arch.get("sliding_window", 0))

    @property
    def local_layers(self) -> int:
        return int(self.arch.get("sliding_window_layers", 0)) if self.window else 0

    @property
    def extra_kv_tokens(self) -> int:
        """Cross-attention positions cached per decoder layer (encoder-decoder models); 0 otherwise."""
        encoder = self.arch.get("encoder")
        return int(encoder["source_positions"]) if encoder else 0


@dataclass(frozen=True)
class Format:
    """A weight storage format; ``bpw`` already includes group scale/zero overhead."""

    id: str
    name: str
    aliases: tuple[str, ...]
    bits: int
    bpw: float
    embed_bits: float | None
    kv_bits: int
    source: str
    group_size: int | None = None
    scale_bits: int | None = None
    zero_bits: int | None = None
    compute: Literal["fp16", "int8", "fp8"] = "fp16"  # tensor-core precision of the matmuls
    per_tensor: bool = False  # GGUF: size from gguf.py, tensor by tensor

    @property
    def embed_bpw(self) -> float:
        return self.bpw if self.embed_bits is None else float(self.embed_bits)


@dataclass(frozen=True)
class Profile:
    """How a runtime on a class of device uses its memory (see data/profiles.json for sources)."""

    id: str
    name: str
    usable_fraction: float
    overhead_gib: float
    prefill_chunk_tokens: int
    max_tp: int
    source: str
    multi_gpu: Literal["tensor", "layer"] = "tensor"  # how the runtime spreads a model over GPUs

    @property
    def overhead_bytes(self) -> float:
        return self.overhead_gib * GIB


@dataclass(frozen=True)
class Device:
    """A GPU, SoC or board.  ``None`` figures are unknown and reported as such, never guessed."""

    id: str
    name: str
    aliases: tuple[str, ...]
    profile: Profile
    mem_value: float  # exactly as the vendor or driver states it, in mem_unit
    mem_unit: MemUnit
    mem_source: str
    bw_gbps: float
    bw_is_estimate: bool
    fp16_dense_tflops: float | None
    int8_dense_tops: float | None
    tdp_w: float | None
    price_usd_per_gpu_hour: float | None
    price_source: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mem_bytes(self) -> float:
        """Capacity in bytes: a GPU's "80 GB" is 80 GiB (nvidia-smi: 81920 MiB), so the unit matters."""
        return self.mem_value * _MEM_UNITS[self.mem_unit]

    @property
    def mem_gb(self) -> float:
        """Capacity in decimal GB (1e9 bytes): 85.9 for an A100-80GB."""
        return self.mem_bytes / GB

    @property
    def mem_gib(self) -> float:
        """Capacity in GiB (2^30 bytes): 80 for an A100-80GB."""
        return self.mem_bytes / GIB

    @property
    def mem_label(self) -> str:
        """The capacity with both units, as every output prints it: '80 GiB (85.9 GB)'."""
        if self.mem_unit == "MiB":
            return f"{self.mem_value:g} MiB = {self.mem_gib:.4g} GiB ({self.mem_gb:.4g} GB)"
        if self.mem_unit == "GiB":
            return f"{self.mem_value:g} GiB ({self.mem_gb:.4g} GB)"
        return f"{self.mem_value:g} GB ({self.mem_gib:.4g} GiB)"

    @property
    def fp8_peak_flops(self) -> float | None:
        """Dense FP8 tensor peak (Hopper/Ada): what w8a8/fp8 compute at; None where no FP8 cores exist."""
        value = self.extra.get("fp8_dense_tflops")
        return None if value is None else float(value) * 1e12

    @property
    def bw_bytes_per_s(self) -> float:
        return self.bw_gbps * GB

    @property
    def peak_flops(self) -> float | None:
        return None if self.fp16_dense_tflops is None else self.fp16_dense_tflops * 1e12

    @property
    def is_edge(self) -> bool:
        return self.profile.id in {"phone", "sbc", "jetson", "apple-unified"}


def _norm(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


@dataclass(frozen=True, eq=False)  # identity hash: the alias index is cached per catalog
class Catalog:
    """Everything loaded from ``data/``, with case-insensitive, alias-aware lookups."""

    models: dict[str, Model]
    formats: dict[str, Format]
    devices: dict[str, Device]
    profiles: dict[str, Profile]
    param_only: dict[str, ParamOnlyModel] = field(default_factory=dict)
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def model(self, given: str) -> Model:
        key = _norm(given)
        for entry in self.param_only.values():
            if key in {_norm(entry.id), _norm(entry.name), *map(_norm, entry.aliases)}:
                raise NotATransformerError(entry)
        return self.models[self._resolve("model", given, self.models)]

    def resolve_name(self, name: str) -> tuple[str, ...]:
        """Every catalog id a name in a note may mean: one model, a family's members, or none.

        A family ("Minitron", "Llama-3") resolves to all its members, so a caller can tell
        "known but ambiguous" from "unknown" ("GPT-4", which the catalog does not describe).
        """
        key = _norm(name)
        for family, ids in self.families.items():
            if _norm(family) == key:
                return ids
        for entry in self.param_only.values():
            if key in {_norm(entry.id), _norm(entry.name), *map(_norm, entry.aliases)}:
                return (entry.id,)
        index = _alias_index(self, "model")
        if key in index:
            return (index[key],)
        by_name = {_norm(m.name): m.id for m in self.models.values()}
        return (by_name[key],) if key in by_name else ()

    def format(self, given: str) -> Format:
        return self.formats[self._resolve("format", given, self.formats)]

    def device(self, given: str) -> Device:
        return self.devices[self._resolve("device", given, self.devices)]

    def _resolve(self, kind: Kind, given: str, table: dict[str, Any]) -> str:
        key = _norm(given)
        index = _alias_index(self, kind)
        if key in index:
            return index[key]
        matches = difflib.get_close_matches(key, list(index), n=4, cutoff=0.5)
        ids = list(dict.fromkeys(index[m] for m in matches))
        raise UnknownIdError(kind, given, ids, sorted(table))


@cache
def _alias_index(catalog: Catalog, kind: Kind) -> dict[str, str]:
    entries: dict[str, Model] | dict[str, Format] | dict[str, Device]
    if kind == "model":
        entries = catalog.models
    elif kind == "format":
        entries = catalog.formats
    else:
        entries = catalog.devices
    index: dict[str, str] = {}
    for entry_id, entry in entries.items():
        index[_norm(entry_id)] = entry_id
        for alias in entry.aliases:
            index.setdefault(_norm(alias), entry_id)
    return index


def _read(name: str) -> dict[str, Any]:
    text = resources.files("studyapp.core.sizing").joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def load_catalog() -> Catalog:
    """Read the four JSON files once per process (they are package data, never downloaded)."""
    profiles = {p["id"]: Profile(**p) for p in _read("profiles.json")["profiles"]}
    models: dict[str, Model] = {}
    data = _read("models.json")
    for m in data["models"]:
        models[m["id"]] = Model(
            id=m["id"],
            name=m["name"],
            aliases=tuple(m.get("aliases", ())),
            arch=m["arch"],
            published_params=int(m["published_params"]),
            published_rel_tol=float(m["published_rel_tol"]),
            published_source=m["published_source"],
            config_source=m["config_source"],
            published_active_params=m.get("published_active_params"),
            published_active_rel_tol=float(m.get("published_active_rel_tol", 0.0)),
        )
    param_only = {
        p["id"]: ParamOnlyModel(
            id=p["id"],
            name=p["name"],
            aliases=tuple(p.get("aliases", ())),
            architecture=p["architecture"],
            published_params=int(p["published_params"]),
            published_source=p["published_source"],
            note=p["note"],
        )
        for p in data.get("param_only", [])
    }
    families = {
        name: tuple(ids) for name, ids in data.get("families", {}).items() if name != "about"
    }
    formats: dict[str, Format] = {}
    for f in _read("formats.json")["formats"]:
        formats[f["id"]] = Format(
            id=f["id"],
            name=f["name"],
            aliases=tuple(f.get("aliases", ())),
            bits=int(f["bits"]),
            bpw=float(f["bpw"]),
            embed_bits=f.get("embed_bits"),
            kv_bits=int(f["kv_bits"]),
            source=f["source"],
            group_size=f.get("group_size"),
            scale_bits=f.get("scale_bits"),
            zero_bits=f.get("zero_bits"),
            compute=f.get("compute", "fp16"),
            per_tensor=bool(f.get("per_tensor", False)),
        )
    devices: dict[str, Device] = {}
    known = set(Device.__dataclass_fields__) - {"profile", "aliases", "extra"}
    for d in _read("hardware.json")["devices"]:
        fields = {k: v for k, v in d.items() if k in known}
        extra = {k: v for k, v in d.items() if k not in known and k not in {"profile", "aliases"}}
        devices[d["id"]] = Device(
            profile=profiles[d["profile"]],
            aliases=tuple(d.get("aliases", ())),
            extra=extra,
            **fields,
        )
    return Catalog(
        models=models,
        formats=formats,
        devices=devices,
        profiles=profiles,
        param_only=param_only,
        families=families,
    )
