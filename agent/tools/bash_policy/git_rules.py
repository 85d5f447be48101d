"""Git in the bash policy: read-only subcommands and their options, the repository-config check, the
neutral git environment for auto-allowed commands.
"""

from __future__ import annotations

import re
from pathlib import Path

from skiff.agent.tools.bash_policy.allowlists import Spec, check_options, option_names, spec, word_set

GIT_GLOBAL = word_set("--no-pager -P --no-optional-locks --literal-pathspecs --no-replace-objects")
_LOG_LONG = (
    "--stat --shortstat --numstat --name-only --name-status --oneline --graph --decorate --no-decorate "
    "--all --branches --tags --remotes --cached --staged --patch --no-patch --word-diff --color "
    "--no-color --abbrev-commit --no-abbrev-commit --relative-date --summary --dirstat --ignore-all-space "
    "--ignore-space-change --ignore-blank-lines --no-renames --find-renames --find-copies --check "
    "--exit-code --quiet --raw --minimal --patience --histogram --full-history --simplify-by-decoration "
    "--left-right --cherry-pick --cherry-mark --merges --no-merges --first-parent --reverse --follow "
    "--no-ext-diff --no-textconv --pickaxe-regex --pickaxe-all --topo-order --date-order --boundary "
    "--full-index --binary --abbrev --no-prefix --name-rev --source --walk-reflogs --ignore-submodules "
    "--compact-summary --mailmap --no-mailmap --use-mailmap --ita-invisible-in-index --merge-base "
    "--function-context --no-index --unified --stat-count --diff-merges --remerge-diff --combined-all-paths"
)
_LOG_VALUED = (
    "--format --pretty --since --until --after --before --author --committer --grep --max-count --skip "
    "--date --diff-filter --unified --word-diff --color --stat --dirstat --abbrev --decorate "
    "--find-renames --find-copies --diff-algorithm --relative --src-prefix --dst-prefix --line-prefix "
    "--inter-hunk-context --anchored --ignore-submodules --stat-width --stat-name-width --stat-count "
    "--submodule --color-moved --color-words --diff-merges"
)
_LOG = spec("pusMCBDRwbaztnWGSlmcvhNq", "SGUnL", _LOG_LONG, _LOG_VALUED, optional="MCBU", numeric=True)
GIT_SPECS: dict[str, Spec] = {
    "status": spec(
        "sbvz",
        "",
        "--short --branch --long --verbose --show-stash --no-renames --renames "
        "--ahead-behind --no-ahead-behind --column --no-column --porcelain --untracked-files "
        "--ignored",
        "--porcelain --untracked-files --ignored --find-renames",
        optional="u",
    ),
    "diff": _LOG,
    "show": _LOG,
    "log": _LOG,
    "shortlog": spec(
        "nsec",
        "w",
        "--numbered --summary --email --committer --all --merges --no-merges",
        "--group --format --since --until --author --max-count",
    ),
    "blame": spec(
        "bcelnpstwfMCS",
        "L",
        "--porcelain --line-porcelain --incremental --root --show-name "
        "--show-number --show-email --show-stats --minimal",
        "--date --ignore-rev",
        optional="MC",
    ),
    "grep": spec(
        "nivwlLchHEFPIzapWor",
        "efABCm",
        "--cached --untracked --no-index --heading --break "
        "--line-number --count --files-with-matches --files-without-match --ignore-case "
        "--word-regexp --extended-regexp --fixed-strings --perl-regexp --basic-regexp --all-match "
        "--show-function --function-context --or --and --not --invert-match --full-name --null "
        "--column --only-matching --recurse-submodules --exclude-standard --no-exclude-standard "
        "--quiet --text --color --no-color",
        "--max-depth --context --after-context --before-context --max-count --threads --color",
        numeric=True,
    ),
    "ls-files": spec(
        "cdmoiskuztvf",
        "x",
        "--cached --deleted --modified --others --ignored --stage "
        "--exclude-standard --full-name --error-unmatch --directory --no-empty-directory "
        "--recurse-submodules --killed --unmerged --eol --deduplicate",
        "--exclude --format",
    ),
    "ls-tree": spec(
        "rdtlz", "", "--name-only --name-status --full-name --full-tree --long --abbrev", "--abbrev --format"
    ),
    "rev-parse": spec(
        "q",
        "",
        "--show-toplevel --abbrev-ref --short --git-dir --is-inside-work-tree "
        "--is-bare-repository --verify --quiet --symbolic --symbolic-full-name --show-prefix "
        "--show-cdup --absolute-git-dir --git-common-dir --all --branches --tags --sq",
        "--short --abbrev-ref",
    ),
    "describe": spec(
        "",
        "",
        "--tags --always --long --all --contains --exact-match --first-parent --abbrev",
        "--abbrev --match --exclude --candidates",
    ),
    "cat-file": spec("tspe", "", "--batch-check"),
    "show-ref": spec("sqd", "", "--heads --tags --hash --verify --quiet --head --dereference --abbrev"),
    "merge-base": spec("a", "", "--is-ancestor --all --octopus --independent"),
    "reflog": _LOG,
    "branch": spec(
        "alrvq",
        "",
        "--all --list --remotes --verbose --show-current --no-color --color "
        "--no-column --merged --no-merged --contains --no-contains",
        "--sort --format --color --points-at --merged --no-merged --contains --no-contains",
    ),
    "tag": spec(
        "ln",
        "",
        "--list --no-column --merged --no-merged --contains",
        "--sort --format --points-at --contains",
    ),
    "remote": spec("v", "", "--verbose"),
    "stash": spec(),
    "version": spec(),
    "rev-list": spec(
        "n",
        "",
        "--count --all --reverse --max-count --first-parent --merges --no-merges --objects --left-right",
        "--max-count --since --until --author",
    ),
}


def rule_git(args: list[str]) -> str | None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] not in GIT_GLOBAL:
            return f"`git {args[i]}` changes git's configuration, directory or programs"
        i += 1
    if i == len(args):
        return None
    sub, rest = args[i], args[i + 1 :]
    sp = GIT_SPECS.get(sub)
    if sp is None:
        return f"`git {sub}` is not a read-only git command"
    problem, pos = check_options(f"git {sub}", rest, sp)
    if problem:
        return problem
    listing = bool(option_names(rest) & {"-l", "--list"}) or any(a.startswith("--list=") for a in rest)
    if sub in ("branch", "tag") and pos and not listing:
        return f"`git {sub}` with a name creates a {sub}"
    if sub == "reflog" and pos[:1] not in ([], ["show"]):
        return f"`git reflog {pos[0]}` may change the reflog"
    if sub == "stash" and rest != ["list"]:
        return "only `git stash list` is read-only"
    if sub == "remote" and pos[:1] not in ([], ["get-url"]):
        return f"`git remote {pos[0]}` may change remotes or use the network"
    return None


# Keys a repository's own config may hold without making read-only git commands run programs.
_GIT_SAFE_KEYS = re.compile(
    r"^(?:core\.(?:repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode"
    r"|symlinks|autocrlf|eol|safecrlf|quotepath|abbrev|sparsecheckout|sparsecheckoutcone|splitindex"
    r"|untrackedcache|commitgraph|multipackindex|compression|checkstat|trustctime|preloadindex"
    r"|longpaths|protecthfs|protectntfs|warnambiguousrefs)"
    r"|remote\.[^.]+(?:\.[^.]+)*\.(?:url|pushurl|fetch|push|tagopt|prune|mirror|skipdefaultupdate"
    r"|skipfetchall|promisor|partialclonefilter)"
    r"|branch\.[^.]+(?:\.[^.]+)*\.(?:remote|merge|rebase|pushremote|description)"
    r"|(?:user|author|committer|init|extensions|gc|pack|index|feature|lfs|advice|i18n|rerere|fetch|pull"
    r"|push|column|color|help|commit|tag|maintenance|worktree|checkout|clone|submodule\.[^.]+)\.[^.]+"
    r"|status\.[a-z]+|diff\.(?:renames|mnemonicprefix|algorithm|colormoved|noprefix|relative"
    r"|statgraphwidth|indentheuristic|submodule|ignoresubmodules|context|interhunkcontext"
    r"|wserrorhighlight|suppressblankempty|renamelimit)"
    r"|log\.(?:date|decorate|abbrevcommit|follow|showroot|mailmap|initialdecorationset)"
    r"|merge\.(?:conflictstyle|ff|log|renamelimit|renames)|rebase\.[a-z]+|grep\.[a-z]+)$"
)
_GIT_LFS = {
    "filter.lfs.clean": "git-lfs clean -- %f",
    "filter.lfs.smudge": "git-lfs smudge -- %f",
    "filter.lfs.process": "git-lfs filter-process",
    "filter.lfs.required": "true",
}
_SUBMODULE_UPDATE = re.compile(r"^submodule\..+\.update$")


def git_dir(start: Path) -> Path | None:
    """The git directory of the repository `start` is in (following a `.git` file), or None."""
    for folder in (start, *start.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            text = dot.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[7:].strip())
                return target if target.is_absolute() else (folder / target).resolve()
            return None
    return None


def parse_git_config(text: str) -> list[tuple[str, str]] | None:
    """(key, value) pairs of a git config file, keys lowercased as `section[.subsection].name`; None when
    a line cannot be read (the caller treats that as unsafe)."""
    out: list[tuple[str, str]] = []
    section = ""
    lines = text.replace("\\\r\n", "").replace("\\\n", "").splitlines()
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        m = re.match(r'^\[\s*([A-Za-z0-9.\-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$', line)
        if m:
            name, sub = m.group(1).lower(), m.group(2)
            section = f"{name}.{sub}" if sub is not None else name
            line = m.group(3).strip()
            if not line or line[0] in "#;":
                continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9\-]*)\s*(?:=\s*(.*))?$", line)
        if not m or not section:
            return None
        value = (m.group(2) or "true").strip()
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            value = value[1:-1]
        out.append((f"{section}.{m.group(1).lower()}", value))
    return out


def unsafe_git_config(root: Path) -> str | None:
    """Why the repository's own config could make a read-only git command run a program, or None."""
    gd = git_dir(root)
    if gd is None:
        return None
    for name in ("config", "config.worktree"):
        path = gd / name
        if not path.is_file():
            continue
        try:
            pairs = parse_git_config(path.read_text(errors="replace"))
        except OSError:
            return f"cannot read {path}"
        if pairs is None:
            return f"{path} has lines Skiff cannot read"
        for key, value in pairs:
            if key in _GIT_LFS and value == _GIT_LFS[key]:
                continue
            if _SUBMODULE_UPDATE.match(key) or not _GIT_SAFE_KEYS.match(key):
                return f"the repository's git config sets `{key}`, which can run programs"
    return None


# Set for auto-allowed commands: git's command-line scope beats every config file, so a repository's
# config cannot name a pager, fsmonitor, hooks or signature program for them. Keys that name programs per
# driver (diff.<driver>.textconv, filter.<driver>.clean) or that cannot be blanked (diff.external: an empty
# value makes every diff fail) are handled by `unsafe_git_config`: a repository that sets them is asked.
GIT_NEUTRAL = {
    "core.pager": "cat",
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "core.sshCommand": "false",
    "core.askPass": "false",
    "log.showSignature": "false",
    "credential.helper": "",
}


def git_neutral_env() -> dict[str, str]:
    """Environment variables that neutralise config-driven programs for git (git 2.31 and later)."""
    env = {"GIT_CONFIG_COUNT": str(len(GIT_NEUTRAL)), "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat"}
    for k, (key, value) in enumerate(GIT_NEUTRAL.items()):
        env[f"GIT_CONFIG_KEY_{k}"] = key
        env[f"GIT_CONFIG_VALUE_{k}"] = value
    return env
