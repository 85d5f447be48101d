"""Small-model mechanisms, one module each, switched on per model profile (`Profile.mechanisms`).

Each mechanism is a `skiff.agent.hooks.Mechanism` subclass in `agent/mechanisms/<name>.py` whose `name` is
the module's name. The registry is built once, on first use, by importing every module of this package and
taking the subclasses defined there; their `order` fixes the order their hooks run in, and
`skiff.agent.config.ALL_MECHANISMS` is derived from it. Adding a mechanism is one module (plus its tests).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING

from skiff.agent.hooks import Mechanism

if TYPE_CHECKING:
    from skiff.agent.config import Profile


class RegistryError(RuntimeError):
    """A mechanism module breaks the registry's rules (name, one class per module, unique order)."""


@functools.cache
def registry() -> dict[str, type[Mechanism]]:
    """Every mechanism class by name, in hook order."""
    found: list[type[Mechanism]] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Mechanism)
            and obj is not Mechanism
            and obj.__module__ == module.__name__
        ]
        if len(classes) != 1 or classes[0].name != info.name:
            names = [c.name for c in classes]
            raise RegistryError(
                f"{module.__name__} must define one Mechanism named {info.name!r}, not {names}"
            )
        found.append(classes[0])
    found.sort(key=lambda c: c.order)
    orders = [c.order for c in found]
    if len(set(orders)) != len(orders):
        raise RegistryError(f"two mechanisms share an order: {[(c.name, c.order) for c in found]}")
    return {c.name: c for c in found}


def mechanism_names() -> list[str]:
    """Every mechanism's name, in the order their hooks run."""
    return list(registry())


def default_mechanisms() -> list[str]:
    """The mechanisms a profile turns on when it names none (every one whose `default_on` is set)."""
    return [name for name, cls in registry().items() if cls.default_on]


def mechanism_class(name: str) -> type[Mechanism]:
    return registry()[name]


def load_mechanisms(profile: Profile) -> list[Mechanism]:
    """Instances of the mechanisms the profile turns on, in registry order (`toolRouting: true` also
    turns on tool_routing)."""
    on = set(profile.mechanisms) | ({"tool_routing"} if profile.tool_routing else set())
    return [cls(profile) for name, cls in registry().items() if name in on]
