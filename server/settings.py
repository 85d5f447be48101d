"""The server's configuration: initializationOptions, then workspace/configuration (section `skiff`),
validated with pydantic. An invalid update is rejected whole and the last good configuration stays."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skiff.server.params import describe


class _Section(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class ProposalSettings(_Section):
    mode: Literal["auto", "review", "direct"] = "auto"


class BashSettings(_Section):
    mode: Literal["auto", "accept-all", "manual"] = "auto"
    allow: list[str] = Field(default_factory=list)
    timeout: float = Field(60.0, gt=0)


class CheckSettings(_Section):
    """Checks run on a proposed edit before it is shown. Running tests runs the project's code (asked
    through the bash permission policy); `tests: false` turns it off."""

    tests: bool = True


class UserAction(_Section):
    title: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    kind: str = "refactor.rewrite"


class Settings(_Section):
    model: str | None = None
    skiff_ui: bool = Field(False, alias="skiffUi")
    proposals: ProposalSettings = Field(default_factory=ProposalSettings)
    bash: BashSettings = Field(default_factory=BashSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    actions: list[UserAction] = Field(default_factory=list)

    @property
    def proposal_mode(self) -> Literal["review", "direct"]:
        """The mode for a client whose capabilities are unknown (`auto` is review); the server decides
        with the client's capabilities through `review.effective_mode`."""
        from skiff.server.features.proposals.plain_review import effective_mode

        return effective_mode(self.proposals.mode, self.skiff_ui, None)


class InvalidSettings(ValueError):
    """The message names the key, e.g. `key 'bash.mode': Input should be ...`."""


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class SettingsManager:
    """Layers: initializationOptions, overridden by the client's `skiff` configuration section."""

    def __init__(self) -> None:
        self.initial: dict[str, Any] = {}
        self.workspace: dict[str, Any] = {}
        self.current = Settings()

    @staticmethod
    def validate(raw: Any) -> Settings:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InvalidSettings("key '(root)': the configuration must be an object")
        try:
            return Settings.model_validate(raw)
        except ValidationError as exc:
            raise InvalidSettings(describe(exc)) from None

    def set_initial(self, raw: Any) -> Settings:
        """Apply initializationOptions; raises InvalidSettings (the defaults stay in force)."""
        if raw is not None and not isinstance(raw, dict):
            raise InvalidSettings("key '(root)': initializationOptions must be an object")
        candidate = raw or {}
        settings = self.validate(deep_merge(candidate, self.workspace))
        self.initial, self.current = candidate, settings
        return settings

    def set_workspace(self, raw: Any) -> Settings:
        """Apply the client's `skiff` section; raises InvalidSettings (the last good settings stay)."""
        if raw is not None and not isinstance(raw, dict):
            raise InvalidSettings("key 'skiff': the configuration section must be an object")
        candidate = raw or {}
        settings = self.validate(deep_merge(self.initial, candidate))
        self.workspace, self.current = candidate, settings
        return settings
