"""Generators: the networks that regenerate the picture outside the ROI. Implements spec clause 8.

A registry of generators by kebab-case id, CompressAI-style::

    @register_generator("ldm")
    class LDMGenerator: ...

    gen = get_generator("ldm", model_dir="models/semantic512")
    rgb = gen.generate(labels_full=..., colors_full=..., params=GenerationParams(...))

Generator modules are imported lazily (torch and diffusers are heavy), so importing this package
costs nothing until a generator is requested.
"""

from __future__ import annotations

import importlib
import re
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from ssgc_format.errors import InputError
from ssgc_format.genparams import GenerationParams

__all__ = ["Generator", "register_generator", "get_generator", "available_generators", "GENERATORS"]

#: id -> class (filled by @register_generator when the defining module is imported)
GENERATORS: dict[str, type] = {}
#: id -> module that defines it (imported on first use)
_KNOWN_MODULES = {"ldm": "ssgc_ref.generators.ldm"}
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@runtime_checkable
class Generator(Protocol):
    """What the decoder needs from a generator (spec §8)."""

    id: str

    def generate(self, *, labels_full: np.ndarray, colors_full: np.ndarray, params: GenerationParams,
                 roi_rgb: np.ndarray | None = None, mask: np.ndarray | None = None,
                 progress: bool = True) -> np.ndarray:
        """uint8 (H, W, 3) generated picture x~_G for labels (H, W) uint8 and colors (H, W, 3) uint8."""
        ...


def register_generator(gen_id: str) -> Callable[[type], type]:
    """Class decorator adding a generator under a kebab-case id (ValueError on a bad or reused id)."""
    if not _ID_RE.match(gen_id):
        raise ValueError(f"generator id {gen_id!r} is not kebab-case")

    def deco(cls: type) -> type:
        if gen_id in GENERATORS and GENERATORS[gen_id] is not cls:
            raise ValueError(f"generator id {gen_id!r} registered twice")
        cls.id = gen_id
        GENERATORS[gen_id] = cls
        return cls

    return deco


DIFFUSION_PACKAGES = ("torch", "diffusers", "safetensors")  # the 'diffusion' extra of pyproject.toml


def missing_diffusion_packages() -> list[str]:
    """The packages of the ``ssgc[diffusion]`` extra that are not installed (found without
    importing them)."""
    import importlib.util

    def missing(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except (ValueError, ImportError):  # sys.modules[name] is None: its import is blocked
            return True

    return [p for p in DIFFUSION_PACKAGES if missing(p)]


def available_generators() -> list[str]:
    return sorted(set(GENERATORS) | set(_KNOWN_MODULES))


def get_generator(gen_id: str, **kwargs) -> Generator:
    """Instantiate the generator ``gen_id``; InputError listing the valid ids if it is unknown."""
    if gen_id not in GENERATORS and gen_id in _KNOWN_MODULES:
        missing = missing_diffusion_packages()
        if missing:
            from ssgc_format.errors import ModelError

            raise ModelError(f"the {gen_id} generator needs {', '.join(missing)}: install the diffusion "
                             f"extra, pip install 'ssgc[diffusion]' (CPU torch first: see the README)")
        importlib.import_module(_KNOWN_MODULES[gen_id])
    if gen_id not in GENERATORS:
        raise InputError(f"unknown generator {gen_id!r}; valid ids: {', '.join(available_generators())}")
    return GENERATORS[gen_id](**kwargs)
