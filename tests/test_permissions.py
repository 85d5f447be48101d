"""The bash policy: shell scanning into simple commands, and what each mode admits without asking."""

from __future__ import annotations

import pytest

from skiff.agent.permissions import ShellParseError, check_command, command_prefix, parse_command


def words(command: str) -> list[list[str]]:
    return [c.words for c in parse_command(command)]


def test_parse_splits_operators_and_keeps_quotes() -> None:
    assert words("ls -la; cat 'a b' && echo \"x;y\" || wc -l | head\npwd") == [
        ["ls", "-la"],
        ["cat", "a b"],
        ["echo", "x;y"],
        ["wc", "-l"],
        ["head"],
        ["pwd"],
    ]


def test_parse_extracts_substitutions_recursively() -> None:
    cmds = words('echo "$(cat a | grep `whoami`)" <(ls x) >(wc) ${X:-$(id)} $((1 + $(seq 1)))')
    assert ["cat", "a"] in cmds
    assert ["grep", "`...`"] in cmds
    assert ["whoami"] in cmds
    assert ["ls", "x"] in cmds
    assert ["wc"] in cmds
    assert ["id"] in cmds
    assert ["seq", "1"] in cmds


def test_parse_records_redirections() -> None:
    (cmd,) = parse_command("pytest -q 2>&1 >out.txt </dev/null")
    assert cmd.words == ["pytest", "-q"]
    ops = [(r.fd, r.op, r.target, r.writes_file) for r in cmd.redirects]
    assert ops == [("2", ">&", "1", False), ("", ">", "out.txt", True), ("", "<", "/dev/null", False)]


def test_heredoc_body_is_data_unless_it_substitutes() -> None:
    assert words("cat <<'EOF'\nrm -rf /\n$(rm x)\nEOF\nls") == [["cat"], ["ls"]]
    assert words("cat <<EOF\nhello $(rm x)\nEOF\nls") == [["cat"], ["rm", "x"], ["ls"]]


def test_parse_errors() -> None:
    for bad in ['echo "open', "echo 'open", "echo $(ls", "echo `ls", "ls )", "cat >"]:
        with pytest.raises(ShellParseError):
            parse_command(bad)


@pytest.mark.parametrize(
    "command",
    [
        "ls -la",
        "cat README.md | head -20",
        "grep -rn 'def main' src && echo found",
        "find . -name '*.py' -not -path './.git/*'",
        "git status",
        "git --no-pager log --oneline -5",
        "git diff HEAD~1 -- src/app.py",
        "python -m pytest -x -q tests/",
        "python3 -m unittest discover",
        "pytest -k parser 2>&1 | tail -30",
        "ruff check .",
        "ruff format --check src",
        "mypy src",
        "npm test",
        "cargo test --release",
        "go test ./...",
        "make test",
        "cd src && ls",
        "wc -l $(find . -name '*.py')",
        'for f in *.py; do wc -l "$f"; done',
        "if [ -f setup.py ]; then cat setup.py; fi",
        "echo hi 2>/dev/null",
        "FOO=1 pytest",
        "timeout 30 pytest -x",
        "diff <(ls a) <(ls b)",
        "cat <<'EOF'\nrm -rf /\nEOF",
        "command -v rg || echo missing",
    ],
)
def test_auto_allows_read_only_and_test_commands(command: str) -> None:
    verdict = check_command(command, "auto")
    assert verdict.allowed, verdict.reason


@pytest.mark.parametrize(
    ("command", "segment", "why"),
    [
        ("rm -rf build", "rm -rf build", "not on the allowlist"),
        ("ls && rm -rf build", "rm -rf build", "not on the allowlist"),
        ("cat a | tee b", "tee b", "not on the allowlist"),
        ("echo $(rm -rf x)", "rm -rf x", "not on the allowlist"),
        ("echo `curl evil`", "curl evil", "not on the allowlist"),
        ("echo hi > notes.txt", "echo hi > notes.txt", "writes to a file"),
        ("pytest >> log.txt", "pytest >> log.txt", "writes to a file"),
        ("ls &> out", "ls &> out", "writes to a file"),
        ("find . -name '*.pyc' -delete", "find . -name '*.pyc' -delete", "-delete"),
        ("find . -exec rm {} \\;", "find . -exec rm {} \\;", "-exec"),
        ("git push origin main", "git push origin main", "may change the repository"),
        ("git commit -am x", "git commit -am x", "may change the repository"),
        ("git diff --output=patch.txt", "git diff --output=patch.txt", "output file"),
        ("python -c 'import os'", "python -c 'import os'", "arbitrary code"),
        ("python setup.py install", "python setup.py install", "arbitrary code"),
        ("ruff check --fix .", "ruff check --fix .", "rewrite files"),
        ("ruff format .", "ruff format .", "rewrite files"),
        ("./deploy.sh", "./deploy.sh", "by path"),
        ("$TOOL --run", "$TOOL --run", "computed"),
        ("PATH=/tmp ls", "PATH=/tmp ls", "PATH"),
        ("sleep 100 &", "sleep 100", "background"),
        ("bash -c 'ls'", "bash -c 'ls'", "not on the allowlist"),
        ("eval ls", "eval ls", "not allowed"),
        ("npm install left-pad", "npm install left-pad", "npm test"),
        ("make deploy", "make deploy", "make test"),
        ("cat <<EOF\n$(touch x)\nEOF", "touch x", "not on the allowlist"),
    ],
)
def test_auto_denies_and_names_the_segment(command: str, segment: str, why: str) -> None:
    verdict = check_command(command, "auto")
    assert not verdict.allowed
    assert segment in verdict.segments
    assert why in verdict.reason


def test_unparsable_command_is_not_allowed() -> None:
    verdict = check_command('echo "unterminated', "auto")
    assert not verdict.allowed
    assert "cannot check" in verdict.reason


def test_config_prefixes_match_whole_words() -> None:
    allow = ["npm run lint", "make"]
    assert check_command("npm run lint -- --quiet", "auto", allow).allowed
    assert check_command("make deploy", "auto", allow).allowed
    assert not check_command("npm run lint-fix", "auto", allow).allowed
    assert not check_command("npm run lint && rm x", "auto", allow).allowed


def test_session_always_prefixes_apply_in_auto_and_manual() -> None:
    assert check_command("python gen.py --fast", "auto", always=["python gen.py"]).allowed
    assert check_command("ls", "manual", always=["ls"]).allowed
    assert not check_command("ls", "manual", allow=["ls"]).allowed  # config prefixes are for auto mode


def test_modes() -> None:
    assert check_command("rm -rf /tmp/whatever", "accept-all").allowed
    manual = check_command("ls", "manual")
    assert not manual.allowed
    assert "manual mode" in manual.reason
    assert manual.prefixes == ["ls"]


def test_prefixes_for_allow_always() -> None:
    assert command_prefix(["npm", "run", "lint", "--fix"]) == "npm run lint"
    assert command_prefix(["python", "-c", "print(1)"]) == "python -c"
    assert command_prefix(["git", "commit", "-m", "a message"]) == "git commit -m"
    assert command_prefix(["rm"]) == "rm"
    verdict = check_command("ls && rm -rf build && rm -rf dist", "auto")
    assert verdict.prefixes == ["rm -rf build", "rm -rf dist"]
