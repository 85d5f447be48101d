"""Secrets kept back: the one redaction pass for model requests, logs and stores, secret file names and env.

`redact(text)` replaces every secret-shaped piece of text with `[REDACTED:kind]`: cloud and API keys (AWS
access key ids and secret keys in assignments, `sk-…`, GitHub, Slack, Google, Stripe), JWTs, bearer and
basic credentials, passwords in URLs, PEM private key blocks, `KEY=value` lines whose name says secret
(env files, shell exports) and quoted `password = "…"` style assignments. It is applied where text leaves
the process: `Message.to_openai` (every provider's wire form), the server's `/tokenize` calls, the logging
filter `install_log_redaction` (server and CLI) and whatever a store writes.

`is_secret_path(name)` names files whose content is a secret as a whole (`.env*`, `*.pem`, `*.key`,
`id_rsa*`, credential files): the read/grep tools ask before opening them and the shell policy never runs a
command naming them unasked. `scrub_env(env)` drops secret-looking variables from a child's environment.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

PLACEHOLDER = "[REDACTED:{}]"
_SECRET_WORDS = r"(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PWD|PASS|CREDENTIALS?|AUTH|PRIVATE|DSN)"
_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----"
    r"(?:.*?-----END \1PRIVATE KEY\2-----|[\s\\A-Za-z0-9+/=:,.\-]*)",
    re.DOTALL,
)
# (pattern, kind, group to replace: 0 for the whole match)
_SHAPES: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[0-9A-Z]{16}\b"), "aws-key-id", 0),
    (
        re.compile(
            r"(?i)(aws_?secret(?:_?access)?_?key|secret_?access_?key)(['\"]?\s*[:=]\s*['\"]?)"
            r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        "aws-secret",
        3,
    ),
    (re.compile(r"\bsk-(?:proj-|ant-|live-|test-|svcacct-)?[A-Za-z0-9_\-]{20,}"), "api-key", 0),
    (re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"), "api-key", 0),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), "github-token", 0),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), "github-token", 0),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), "gitlab-token", 0),
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), "slack-token", 0),
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"), "slack-webhook", 0),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), "google-key", 0),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}"), "hf-token", 0),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), "npm-token", 0),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "jwt", 0),
    (re.compile(r"(?i)(\b(?:bearer|token)\s+)([A-Za-z0-9._~+/\-]{16,}=*)"), "bearer", 2),
    (re.compile(r"(?i)(\bbasic\s+)([A-Za-z0-9+/]{12,}={0,2})"), "basic-auth", 2),
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^\s:/@'\"]+:)([^\s@/'\"]{3,})(@)"), "url-password", 2),
]
# `NAME=value` / `NAME: value` where NAME says secret: env files, exports, YAML, INI (read output's
# `  12\t` line prefix allowed). The value must not look like code (a dotted name, a call, a variable).
_ASSIGNED = re.compile(
    r"(?im)(?:^|(?<=\\n)|(?<=\\t))([ \t]*(?:\d+(?:\t|\\t))?(?:export[ \t]+)?[\"']?[A-Za-z_][A-Za-z0-9_.\-]*"
    + _SECRET_WORDS
    + r"[A-Za-z0-9_.\-]*[\"']?[ \t]*[:=][ \t]*)(\\?[\"']?)([^\s\"'#,;\\]{4,})(\2)[ \t]*(?=$|[ \t]#|,|\\)"
)
# `password = "…"` anywhere in code: a quoted literal assigned to a secret-named variable or key.
_QUOTED = re.compile(
    r"(?i)([A-Za-z0-9_.\-]*(?:password|passwd|passphrase|secret|token|api_?key|apikey|access_?key"
    r"|private_?key|client_?secret|auth_?key)[A-Za-z0-9_.\-]*\\?[\"']?\s*(?::=|[:=]|=>)\s*)(\\?[\"'])"
    r"([^\"'\s\\]{4,})\2"
)
_CODEY = re.compile(
    r"^(?:[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+|[A-Za-z_]\w*\(.*|true|false|none|null|changeme)$", re.I
)


def _secretish(value: str, name: str) -> bool:
    """Whether an assigned value looks like a secret rather than code or a placeholder."""
    if _CODEY.match(value) or value.startswith("[REDACTED") or set(value) <= {"*", "x", "X", "."}:
        return False
    if re.search(r"(?i)pass|pwd|secret|private|credential", name):
        return True
    return len(value) >= 16 or (len(value) >= 8 and bool(re.search(r"\d", value)))


def _sub_assigned(match: re.Match[str]) -> str:
    prefix, quote, value, _ = match.groups()
    if not _secretish(value, prefix):
        return match.group(0)
    return f"{prefix}{quote}{PLACEHOLDER.format('secret')}{quote}"


def _sub_quoted(match: re.Match[str]) -> str:
    prefix, quote, value = match.groups()
    if not _secretish(value, prefix):
        return match.group(0)
    return f"{prefix}{quote}{PLACEHOLDER.format('secret')}{quote}"


def _replacer(kind: str, group: int) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        if group == 0:
            return PLACEHOLDER.format(kind)
        start, end = match.span(group)
        whole = match.group(0)
        base = match.start(0)
        return whole[: start - base] + PLACEHOLDER.format(kind) + whole[end - base :]

    return sub


_TRIGGERS = re.compile(
    r"PRIVATE KEY|AKIA|ASIA|sk-|[rs]k_|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|AIza|hf_|npm_|eyJ"
    r"|bearer|basic|token|://|[:=]",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every secret-shaped piece replaced by `[REDACTED:kind]` (unchanged when none)."""
    if not text or not _TRIGGERS.search(text):
        return text
    text = _PEM.sub(PLACEHOLDER.format("private-key"), text)
    for pattern, kind, group in _SHAPES:
        text = pattern.sub(_replacer(kind, group), text)
    text = _ASSIGNED.sub(_sub_assigned, text)
    return _QUOTED.sub(_sub_quoted, text)


def redact_obj(value: Any) -> Any:
    """A JSON-like value with every string redacted (dict keys kept)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value


def restore(new: str, original: str) -> str:
    """`new`, a model's edit of a file it saw redacted, with the secrets of `original` put back where the
    model copied a redacted line (or a redacted private key block) unchanged: a whole-file answer must not
    replace the user's key with `[REDACTED:…]`. A placeholder on a line the model changed stays (the
    user sees it in the review)."""
    if "[REDACTED:" not in new or not original:
        return new
    lines: dict[str, str] = {}
    for line in original.splitlines(keepends=True):
        clean = redact(line)
        if clean != line:
            lines.setdefault(clean.rstrip("\r\n"), line.rstrip("\r\n"))
    keys = [m.group(0) for m in _PEM.finditer(original)]
    key = PLACEHOLDER.format("private-key")
    out = []
    for line in new.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body in lines:
            line = lines[body] + line[len(body) :]
        elif key in line and keys:
            line = line.replace(key, keys.pop(0), 1)
        out.append(line)
    return "".join(out)


# ---- files and environment -----------------------------------------------------------------------

_SECRET_FILE = re.compile(
    r"^(?:\.env(?:\..*)?|.*\.env|\.envrc|.*\.pem|.*\.key|.*\.p12|.*\.pfx|.*\.jks|.*\.keystore|.*\.asc"
    r"|id_(?:rsa|dsa|ecdsa|ed25519)(?:\..*)?|.*\.ppk|\.netrc|_netrc|\.pgpass|\.git-credentials"
    r"|\.npmrc|\.pypirc|credentials(?:\.json|\.ya?ml)?|.*secrets?\.(?:json|ya?ml|toml|env)"
    r"|service[-_]account.*\.json|\.htpasswd|kubeconfig)$",
    re.IGNORECASE,
)
_SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".docker", ".kube", ".azure", ".gcloud"})
_NOT_SECRET = re.compile(r"^\.env\.(?:example|sample|template|dist)$|\.pub$", re.IGNORECASE)


def is_secret_path(path: str) -> bool:
    """Whether a file path (any form) names a file whose content is a secret as a whole."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("/", ".")]
    if not parts:
        return False
    name = parts[-1]
    if _NOT_SECRET.search(name):
        return False
    return bool(_SECRET_FILE.match(name)) or any(p in _SECRET_DIRS for p in parts)


_SECRET_ENV = re.compile(
    r"(?i)(?:^|_)(?:TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|API_?KEY|KEY|PRIVATE_KEY"
    r"|AUTH_TOKEN|SESSION_TOKEN|SECURITY_TOKEN|DSN|PAT)(?:$|_)|^AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY)$"
    r"|PASSWORD|^DATABASE_URL$"
)
_KEEP_ENV = frozenset({"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KEYTIMEOUT"})


def is_secret_env(name: str, value: str) -> bool:
    """Whether an environment variable looks like it holds a credential (by name or by value)."""
    if name in _KEEP_ENV:
        return False
    return bool(_SECRET_ENV.search(name)) or redact(value) != value


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without its secret-looking variables."""
    return {k: v for k, v in env.items() if not is_secret_env(k, v)}


# ---- logs ----------------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Redacts each record's message (arguments merged in) and its exception text before a handler
    writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log the template, redacted
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put a RedactingFilter on every handler of `logger` (the root logger by default) and on logging's
    last-resort handler (used when no handler is configured, as in the CLI)."""
    target = logger or logging.getLogger()
    handlers = [*target.handlers, *([logging.lastResort] if logging.lastResort else [])]
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
