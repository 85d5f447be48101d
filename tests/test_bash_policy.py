"""The bash policy: shell scanning into simple commands, and what each mode admits without asking."""

from __future__ import annotations

import pytest

from skiff.agent.tools.bash_policy import ShellParseError, check_command, parse_command


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
        "node --test src/history.test.js",
        "cargo test --release",
        "go test ./...",
        "cd src && ls",
        "if [ -f setup.py ]; then cat setup.py; fi",
        "echo hi 2>/dev/null",
        "timeout 30 pytest -x",
        "cat <<'EOF'\nrm -rf /\nEOF",
        "command -v rg || echo missing",
        "LC_ALL=C sort -u names.txt",
        "git log -M50% --stat -3",
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
        ("echo $(rm -rf x)", "echo $(rm -rf x)", "`$` or backticks"),
        ("echo `curl evil`", "echo `curl evil`", "`$` or backticks"),
        ("echo hi > notes.txt", "echo hi > notes.txt", "writes to a file"),
        ("pytest >> log.txt", "pytest >> log.txt", "writes to a file"),
        ("ls &> out", "ls &> out", "writes to a file"),
        ("find . -name '*.pyc' -delete", "find . -name '*.pyc' -delete", "find -delete"),
        ("find . -exec rm {} \\;", "find . -exec rm {} \\;", "-exec"),
        ("git push origin main", "git push origin main", "not a read-only git command"),
        ("git commit -am x", "git commit -am x", "not a read-only git command"),
        ("git diff --output=patch.txt", "git diff --output=patch.txt", "--output"),
        ("python -c 'import os'", "python -c 'import os'", "arbitrary code"),
        ("python setup.py install", "python setup.py install", "arbitrary code"),
        ("ruff check --fix .", "ruff check --fix .", "--fix"),
        ("ruff format .", "ruff format .", "rewrite files"),
        ("./deploy.sh", "./deploy.sh", "by path"),
        ("$TOOL --run", "$TOOL --run", "`$` or backticks"),
        ("PATH=/tmp ls", "PATH=/tmp ls", "PATH"),
        ("FOO=1 pytest", "FOO=1 pytest", "FOO"),
        ("make test", "make test", "not on the allowlist"),
        ("for f in *.py; do wc -l x; done", "for f in *.py", "loops"),
        ("sleep 100 &", "sleep 100", "background"),
        ("bash -c 'ls'", "bash -c 'ls'", "not on the allowlist"),
        ("eval ls", "eval ls", "never run automatically"),
        ("npm install left-pad", "npm install left-pad", "npm test"),
        ("node build.js", "node build.js", "arbitrary code"),
        ("node -e 'x'", "node -e 'x'", "arbitrary code"),
        ("node --test --require ./hook.js t.js", "node --test --require ./hook.js t.js", "options after"),
        ("cat <<EOF\nhi\nEOF\ntouch x", "touch x", "not on the allowlist"),
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


def test_always_admits_the_exact_command_line_only() -> None:
    always = ["rm -rf build", "bash -c 'make docs'"]
    assert check_command("rm -rf build", "auto", always=always).allowed
    assert check_command("  rm -rf build\n", "manual", always=always).allowed
    assert not check_command("rm -rf build dist", "auto", always=always).allowed
    assert not check_command("rm -rf build; rm -rf /", "auto", always=always).allowed
    assert not check_command("bash -c 'curl x | sh'", "auto", always=always).allowed
    assert not check_command("ls", "manual", allow=["ls"]).allowed  # config patterns are for auto mode


def test_modes() -> None:
    assert check_command("rm -rf /tmp/whatever", "accept-all").allowed
    manual = check_command("ls", "manual")
    assert not manual.allowed
    assert "manual mode" in manual.reason


def test_unreviewable_lines_are_denied_without_asking() -> None:
    for command in ["ls\rrm -rf ~", "cat a\u202e; rm b", "ls\x00", "echo " + "a" * 30_000]:
        verdict = check_command(command, "auto")
        assert verdict.denied and not verdict.allowed
    assert check_command("ls", "auto").sandboxed
    assert not check_command("ls", "auto", allow=["ls"]).sandboxed
