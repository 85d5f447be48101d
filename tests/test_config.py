"""models.json: shipped registry, user overrides and their precedence, validation errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skiff.agent.config import ConfigError, Registry, shipped_models_file, user_models_file


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_shipped_registry_resolves_default_embedded_model() -> None:
    registry = Registry(user=None)
    spec = registry.resolve()
    assert spec.ref == "embedded/smollm2-135m"
    assert spec.provider.api == "llama-cpp"
    assert spec.model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert spec.model_path().is_file()
    assert spec.context_limit == 4096  # the tiny profile caps the 8192 window
    assert spec.source == str(shipped_models_file())


def test_large_profile_turns_small_model_mechanisms_off() -> None:
    spec = Registry(user=None).resolve("openai/gpt-4.1-mini")
    assert "toolcall_recovery" not in spec.profile.mechanisms
    assert "quality_monitor" not in spec.profile.mechanisms


def test_little_coder_style_user_file_works_unchanged(tmp_path: Path) -> None:
    user = write(
        tmp_path / "models.json",
        {
            "providers": {
                "ollama": {
                    "baseUrl": "http://localhost:11434/v1",
                    "api": "openai-completions",
                    "apiKey": "ollama",
                    "models": [
                        {
                            "id": "qwen3.5:9b",
                            "name": "Qwen3.5 9B",
                            "reasoning": True,
                            "input": ["text"],
                            "contextWindow": 32768,
                            "maxTokens": 4096,
                            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                        }
                    ],
                }
            }
        },
    )
    registry = Registry(user=user)
    spec = registry.resolve("ollama/qwen3.5:9b")
    assert spec.provider.base_url == "http://localhost:11434/v1"
    assert spec.context_limit == 32768
    assert spec.source == str(user)
    assert spec.api_key() == "ollama"  # names no environment variable: used as is
    # the user's provider replaced the shipped one whole
    assert "ollama/qwen2.5-coder:7b" not in registry.refs()
    # other shipped providers stay
    assert registry.resolve("embedded/smollm2-135m").source == str(shipped_models_file())


def test_api_key_names_an_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret")
    user = write(
        tmp_path / "m.json",
        {"providers": {"x": {"baseUrl": "http://h/v1", "apiKey": "MY_KEY", "models": [{"id": "m"}]}}},
    )
    assert Registry(user=user).resolve("x/m").api_key() == "sk-secret"


def test_user_file_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = write(tmp_path / "env.json", {})
    xdg = tmp_path / "xdg"
    write(xdg / "skiff" / "models.json", {})
    home = tmp_path / "home"
    write(home / ".config" / "skiff" / "models.json", {})
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("SKIFF_MODELS_FILE", str(env_file))
    assert user_models_file() == env_file
    monkeypatch.delenv("SKIFF_MODELS_FILE")
    assert user_models_file() == xdg / "skiff" / "models.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_models_file() == home / ".config" / "skiff" / "models.json"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "invalid JSON at line 1"),
        ({"providers": {"p": {"api": "openai-completions", "models": []}}}, "providers.p"),
        (
            {"providers": {"p": {"baseUrl": "http://h", "models": [{"id": "m", "contextWindow": "big"}]}}},
            "providers.p.models.0.contextWindow",
        ),
        ({"providers": {"p": {"baseUrl": "http://h", "api": "grpc", "models": []}}}, "providers.p.api"),
        ({"profiles": {"x": {"turnCap": 0}}}, "profiles.x.turnCap"),
        ({"profiles": {"x": {"mechanisms": ["telepathy"]}}}, "telepathy"),
        (
            {"providers": {"p": {"baseUrl": "http://h", "models": [{"id": "m", "profile": "nope"}]}}},
            "providers.p.models.0.profile",
        ),
    ],
)
def test_invalid_user_file_names_file_and_key(tmp_path: Path, content: object, expected: str) -> None:
    user = write(tmp_path / "bad.json", content)
    with pytest.raises(ConfigError) as info:
        Registry(user=user)
    assert str(user) in str(info.value)
    assert expected in str(info.value)


def test_unknown_model_lists_choices() -> None:
    with pytest.raises(ConfigError, match="embedded/smollm2-135m"):
        Registry(user=None).resolve("nope/x")


def test_inline_profile_extends_named_profile(tmp_path: Path) -> None:
    user = write(
        tmp_path / "m.json",
        {
            "providers": {
                "p": {
                    "baseUrl": "http://h/v1",
                    "models": [{"id": "m", "profile": {"extends": "tiny", "turnCap": 9}}],
                }
            }
        },
    )
    spec = Registry(user=user).resolve("p/m")
    assert spec.profile.turn_cap == 9
    assert spec.profile.skill_budget == 120  # from tiny
