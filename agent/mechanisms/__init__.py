"""Small-model mechanisms, one module each, switched on per model profile (`Profile.mechanisms`).

Each mechanism is a `skiff.agent.hooks.Mechanism` subclass in `agent/mechanisms/<name>.py`, named in
`skiff.agent.config.ALL_MECHANISMS`, which also fixes the order their hooks run in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from skiff.agent.config import ALL_MECHANISMS

if TYPE_CHECKING:
    from skiff.agent.config import Profile
    from skiff.agent.hooks import Mechanism

CLASS_NAMES = {
    "context_first": "ContextFirst",
    "tool_routing": "ToolRouting",
    "scratchpad": "ScratchpadMechanism",
    "skills": "Skills",
    "thinking_budget": "ThinkingBudget",
    "toolcall_recovery": "ToolCallRecovery",
    "quality_monitor": "QualityMonitor",
    "code_to_edit": "CodeToEdit",
    "context_budget": "ContextBudget",
}


def mechanism_class(name: str) -> type[Mechanism]:
    module = importlib.import_module(f"skiff.agent.mechanisms.{name}")
    cls: type[Mechanism] = getattr(module, CLASS_NAMES[name])
    return cls


def load_mechanisms(profile: Profile) -> list[Mechanism]:
    """Instances of the mechanisms the profile turns on, in ALL_MECHANISMS order (`toolRouting: true` also
    turns on tool_routing)."""
    on = set(profile.mechanisms) | ({"tool_routing"} if profile.tool_routing else set())
    return [mechanism_class(name)(profile) for name in ALL_MECHANISMS if name in on]
