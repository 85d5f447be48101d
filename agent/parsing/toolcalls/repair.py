"""Schema-aware argument repair: maps written argument names and values onto a tool's schema."""

from __future__ import annotations

import json
import re
from typing import Any

from skiff.agent.parsing.toolcalls.calls import (
    RepairResult,
    _properties,
    _required,
    _Tool,
    _tool_index,
    _words,
)
from skiff.agent.parsing.toolcalls.lenient_json import loads_forgiving
from skiff.agent.parsing.toolcalls.names import _norm, _osa, _resolve_tool_name, suggest_tool_name
from skiff.agent.text.similarity import close_matches

# Parameter-name synonyms. A model-written key maps onto a schema property only when exactly one property of
# that schema is in a group with the key.
_PARAM_ALIASES: list[frozenset[str]] = [
    _words(
        "path file_path filepath filename file_name file fname absolute_path relative_path abs_path "
        "target_file file_location dir directory folder dirpath dir_path search_path root cwd location "
        "paths"
    ),
    _words(
        "old_string old_str old search find old_text original original_text original_string from before "
        "search_text old_content find_text old_code target_text search_string existing existing_text "
        "to_replace"
    ),
    _words(
        "new_string new_str new replace replacement new_text to after replace_with replacement_text "
        "new_content updated updated_text new_code replacement_string"
    ),
    _words(
        "content contents text file_text body data file_content file_contents code source new_content "
        "task title description item step todo"
    ),
    _words("command cmd script shell_command bash_command commands code line cmdline command_line"),
    _words(
        "pattern query regex search search_pattern search_term term expression glob_pattern keyword "
        "text q needle search_query string regexp re patterns"
    ),
    _words("glob include file_pattern file_glob includes file_filter filter file_type glob_filter"),
    _words("ignore_case case_insensitive ignorecase nocase insensitive icase"),
    _words("timeout timeout_seconds timeout_s time_limit timeout_sec max_time seconds"),
    _words(
        "offset start start_line line from_line line_start start_line_number line_number begin first_line"
    ),
    _words("limit count max_lines num_lines lines n length max line_count max_results"),
    _words("replace_all all global replaceall every multiple all_occurrences"),
    _words("items todos tasks todo_list list steps plan entries"),
    _words("status state"),
]

_ENUM_SYNONYMS = {
    "done": "completed",
    "complete": "completed",
    "finished": "completed",
    "finish": "completed",
    "closed": "completed",
    "resolved": "completed",
    "checked": "completed",
    "x": "completed",
    "todo": "pending",
    "to_do": "pending",
    "not_started": "pending",
    "open": "pending",
    "new": "pending",
    "planned": "pending",
    "waiting": "pending",
    "queued": "pending",
    "doing": "in_progress",
    "active": "in_progress",
    "started": "in_progress",
    "ongoing": "in_progress",
    "wip": "in_progress",
    "current": "in_progress",
    "working": "in_progress",
    "progress": "in_progress",
}

_TRUE = _words("true yes y on 1 t enabled")
_FALSE = _words("false no n off 0 f disabled none")
_INT_TEXT = re.compile(r"\s*[+-]?\d+(?:\.0*)?\s*")
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")

_ARG_KEYS = (
    "arguments",
    "parameters",
    "input",
    "args",
    "params",
    "action_input",
    "tool_input",
    "kwargs",
    "argument",
    "inputs",
    "tool_args",
    "function_args",
)


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_ok(value: Any, t: str) -> bool:
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    if t == "null":
        return value is None
    return True


class _Repairer:
    """Walks arguments against a JSON schema, renaming keys and coercing values; collects what it did."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.repairs: list[str] = []
        self.errors: list[str] = []
        self.missing: list[str] = []
        self.dropped: dict[str, Any] = {}
        self.recognized = 0
        self.unrecognized = 0
        self.rescued = 0

    def fork(self) -> _Repairer:
        return _Repairer(self.root)

    def merge(self, other: _Repairer) -> None:
        self.repairs += other.repairs
        self.errors += other.errors
        self.missing += other.missing
        self.dropped.update(other.dropped)

    def deref(self, schema: Any) -> dict[str, Any]:
        if not isinstance(schema, dict):
            return {}
        for _ in range(32):
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                break
            target: Any = self.root
            if ref.startswith("#/"):
                for part in ref[2:].split("/"):
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
            else:
                target = None
            if not isinstance(target, dict):
                return {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            schema = {**self.deref(all_of[0]), **{k: v for k, v in schema.items() if k != "allOf"}}
        return schema

    # shallow fit, used to pick an anyOf branch -------------------------------------------------------------

    def fits(self, value: Any, schema: dict[str, Any]) -> bool:
        if "const" in schema and value != schema["const"]:
            return False
        if "enum" in schema and value not in schema["enum"]:
            return False
        t = schema.get("type")
        if isinstance(t, str):
            return _type_ok(value, t)
        if isinstance(t, list):
            return any(_type_ok(value, x) for x in t if isinstance(x, str))
        if "anyOf" in schema or "oneOf" in schema:
            branches = schema.get("anyOf") or schema.get("oneOf") or []
            return any(self.fits(value, self.deref(b)) for b in branches)
        return True

    def allows_null(self, schema: Any) -> bool:
        s = self.deref(schema)
        if not s:
            return True
        if s.get("type") == "null" or (isinstance(s.get("type"), list) and "null" in s["type"]):
            return True
        if "enum" in s and None in s["enum"]:
            return True
        branches = s.get("anyOf") or s.get("oneOf")
        if isinstance(branches, list):
            return any(self.allows_null(b) for b in branches)
        return False

    # coercion ---------------------------------------------------------------------------------------------

    def coerce(self, value: Any, schema: Any, path: str) -> Any:
        s = self.deref(schema)
        if not s:
            return value
        branches = s.get("anyOf") or s.get("oneOf")
        if isinstance(branches, list) and branches:
            options = [self.deref(b) for b in branches]
            for b in options:
                if self.fits(value, b):
                    return self.coerce(value, b, path)
            for b in sorted(options, key=lambda b: b.get("type") == "null"):
                trial = self.fork()
                converted = trial.coerce(value, b, path)
                if not trial.errors and self.fits(converted, b):
                    self.merge(trial)
                    return converted
            self.errors.append(f"{path}: {_show(value)} fits none of the allowed types")
            return value
        if "const" in s:
            if value != s["const"]:
                if isinstance(value, str) and str(s["const"]).lower() == value.strip().lower():
                    return s["const"]
                self.errors.append(f"{path}: must be {s['const']!r}")
            return value
        if isinstance(s.get("enum"), list):
            return self.enum(value, s["enum"], path)
        t = s.get("type")
        if isinstance(t, list):
            types = [x for x in t if isinstance(x, str)]
            if any(_type_ok(value, x) for x in types):
                t = next(x for x in types if _type_ok(value, x))
            else:
                t = next((x for x in types if x != "null"), None)
        if t is None:
            t = "object" if "properties" in s else "array" if "items" in s else None
        if t == "string":
            return self.to_string(value, path)
        if t == "integer":
            return self.to_int(value, path)
        if t == "number":
            return self.to_number(value, path)
        if t == "boolean":
            return self.to_bool(value, path)
        if t == "array":
            return self.to_array(value, s, path)
        if t == "object":
            return self.to_object(value, s, path)
        if t == "null":
            if value is None:
                return None
            if isinstance(value, str) and value.strip().lower() in ("", "null", "none"):
                self.repairs.append(f"{path}: {value!r} -> null")
                return None
            self.errors.append(f"{path}: expected null, got {_show(value)}")
        return value

    def to_string(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "type", "description"}:
            self.repairs.append(f"{path}: unwrapped {{'value': ...}}")
            return self.to_string(value["value"], path)
        if isinstance(value, bool):
            out = "true" if value else "false"
        elif isinstance(value, int | float):
            out = str(value)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            out = "\n".join(value)
            self.repairs.append(f"{path}: joined a list of {len(value)} lines into a string")
            return out
        elif isinstance(value, dict | list):
            out = json.dumps(value, indent=2, ensure_ascii=False)
            self.repairs.append(f"{path}: serialised a JSON value into a string")
            return out
        else:
            self.errors.append(f"{path}: expected a string, got {_show(value)}")
            return value
        self.repairs.append(f"{path}: {value!r} -> {out!r}")
        return out

    def to_int(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            self.errors.append(f"{path}: expected an integer, got {value!r}")
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            self.repairs.append(f"{path}: {value!r} -> {int(value)}")
            return int(value)
        if isinstance(value, str) and _INT_TEXT.fullmatch(value):
            out = int(float(value.strip())) if "." in value else int(value.strip())
            self.repairs.append(f"{path}: {value!r} -> {out}")
            return out
        self.errors.append(f"{path}: expected an integer, got {_show(value)}")
        return value

    def to_number(self, value: Any, path: str) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value):
            text = value.strip()
            out: int | float = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
            self.repairs.append(f"{path}: {value!r} -> {out}")
            return out
        self.errors.append(f"{path}: expected a number, got {_show(value)}")
        return value

    def to_bool(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, int) and key in (0, 1):
            key = str(key)
        if isinstance(key, str) and key in _TRUE:
            self.repairs.append(f"{path}: {value!r} -> true")
            return True
        if isinstance(key, str) and key in _FALSE:
            self.repairs.append(f"{path}: {value!r} -> false")
            return False
        self.errors.append(f"{path}: expected true or false, got {_show(value)}")
        return value

    def to_array(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, str) and value.strip()[:1] == "[":
            try:
                parsed = loads_forgiving(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                self.repairs.append(f"{path}: parsed a list given as a string")
                value = parsed
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            if value is None:
                self.errors.append(f"{path}: expected a list, got null")
                return value
            self.repairs.append(f"{path}: wrapped a single value in a list")
            value = [value]
        items = schema.get("items")
        if isinstance(items, dict):
            return [self.coerce(x, items, f"{path}[{i}]") for i, x in enumerate(value)]
        return value

    def to_object(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, str):
            text = value.strip()
            parsed: Any = None
            if text[:1] == "{":
                try:
                    parsed = loads_forgiving(text)
                except ValueError:
                    parsed = None
            if isinstance(parsed, dict):
                self.repairs.append(f"{path}: parsed an object given as a string")
                value = parsed
        if not isinstance(value, dict):
            props, req = _properties(schema), _required(schema)
            single_string = len(req) == 1 and self.deref(props.get(req[0])).get("type") == "string"
            if single_string and value is not None and not isinstance(value, list):
                self.repairs.append(f"{path}: wrapped {_show(value)} as {{{req[0]!r}: ...}}")
                return self.obj({req[0]: value}, schema, path)
            self.errors.append(f"{path}: expected an object, got {_show(value)}")
            return value
        return self.obj(value, schema, path)

    def enum(self, value: Any, options: list[Any], path: str) -> Any:
        if value in options:
            return value
        if isinstance(value, str):
            key = _norm(value)
            texts = [o for o in options if isinstance(o, str)]
            for o in texts:
                if _norm(o) == key:
                    self.repairs.append(f"{path}: {value!r} -> {o!r}")
                    return o
            syn = _ENUM_SYNONYMS.get(key)
            if syn in texts:
                self.repairs.append(f"{path}: {value!r} -> {syn!r}")
                return syn
            close = close_matches(key, [_norm(o) for o in texts], n=2, cutoff=0.75)
            if len(close) == 1:
                match = next(o for o in texts if _norm(o) == close[0])
                self.repairs.append(f"{path}: {value!r} -> {match!r}")
                return match
        else:
            for o in options:
                if isinstance(o, str) and str(value) == o:
                    self.repairs.append(f"{path}: {value!r} -> {o!r}")
                    return o
        self.errors.append(f"{path}: {_show(value)} is not one of {options}")
        return value

    # objects ----------------------------------------------------------------------------------------------

    def match_key(self, key: str, props: dict[str, Any], taken: set[str]) -> str | None:
        free = [p for p in props if p not in taken]
        if not free:
            return None
        lowered = [p for p in free if p.lower() == key.strip().lower()]
        if len(lowered) == 1:
            return lowered[0]
        nk = _norm(key)
        if not nk:
            return None
        normed = [p for p in free if _norm(p) == nk]
        if len(normed) == 1:
            return normed[0]
        hits: set[str] = set()
        for group in _PARAM_ALIASES:
            if nk in group:
                hits.update(p for p in free if _norm(p) in group)
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
        singular = nk[:-1] if nk.endswith("s") else nk + "s"
        plural = [p for p in free if _norm(p) == singular]
        if len(plural) == 1:
            return plural[0]
        budget = 1 if len(nk) >= 5 else 0
        if budget:
            close = [p for p in free if _osa(nk, _norm(p)) <= budget]
            if len(close) == 1:
                return close[0]
        return None

    def obj(
        self, value: dict[str, Any], schema: dict[str, Any], path: str, top: bool = False
    ) -> dict[str, Any]:
        props = _properties(schema)
        required = _required(schema)
        extra = schema.get("additionalProperties", True)
        # A tool's parameters are a closed set unless extras are allowed explicitly: a function has no use for
        # keyword arguments it does not declare, and third-party (MCP) schemas rarely say so.
        forbid = extra is False or (top and bool(props) and "additionalProperties" not in schema)
        prefix = f"{path}." if path else ""
        # Arguments nested once more: {"arguments": {...}} or {"name": "read", "input": {...}}.
        if top:
            wrapper = [k for k in value if k in _ARG_KEYS and k not in props and isinstance(value[k], dict)]
            others = [k for k in value if k not in wrapper]
            if len(wrapper) == 1 and all(k in ("name", "type", "tool") and k not in props for k in others):
                self.repairs.append(f"unwrapped arguments nested under {wrapper[0]!r}")
                value = value[wrapper[0]]
        out: dict[str, Any] = {}
        unknown: list[tuple[str, Any]] = []
        for k, v in value.items():
            if k in props:
                out[k] = v
        for k, v in value.items():
            if k in props:
                if top:
                    self.recognized += 1
                continue
            target = self.match_key(k, props, set(out))
            if target is None:
                unknown.append((k, v))
                continue
            out[target] = v
            if top:
                self.recognized += 1
            self.repairs.append(f"renamed {prefix}{k} -> {prefix}{target}")
        missing_now = [r for r in required if r not in out]
        if forbid and len(missing_now) == 1 and len(unknown) == 1:
            k, v = unknown[0]
            target_schema = self.deref(props.get(missing_now[0]))
            if self.fits(v, target_schema) or (isinstance(v, str) and target_schema.get("type") == "string"):
                out[missing_now[0]] = v
                unknown = []
                if top:
                    self.rescued += 1
                self.repairs.append(f"renamed {prefix}{k} -> {prefix}{missing_now[0]} (only unknown key)")
        if top:
            self.unrecognized += len(unknown)
        for k, v in unknown:
            if forbid:
                self.dropped[f"{prefix}{k}"] = v
                self.repairs.append(f"dropped unknown argument {prefix}{k}")
            else:
                out[k] = self.coerce(v, extra, f"{prefix}{k}") if isinstance(extra, dict) else v
        for k in list(out):
            if k not in props:
                continue
            v = out[k]
            sub = props[k]
            if v is None and not self.allows_null(sub):
                del out[k]
                if k not in required:
                    self.repairs.append(f"dropped null {prefix}{k}")
                continue
            sub_type = self.deref(sub).get("type")
            if isinstance(v, str) and not v.strip() and sub_type in ("integer", "number", "boolean"):
                del out[k]
                if k not in required:
                    self.repairs.append(f"dropped empty {prefix}{k}")
                continue
            out[k] = self.coerce(v, sub, f"{prefix}{k}")
        for r in required:
            if r not in out:
                self.missing.append(f"{prefix}{r}")
        # keep the schema's property order, extras after
        ordered = {k: out[k] for k in props if k in out}
        ordered.update({k: v for k, v in out.items() if k not in ordered})
        return ordered


def _repair(tool: _Tool, arguments: Any) -> RepairResult:
    r = _Repairer(tool.schema)
    args = arguments
    if isinstance(args, str):
        text = args.strip()
        parsed: Any = None
        if text[:1] in ("{", "["):
            try:
                parsed = loads_forgiving(text)
            except ValueError:
                parsed = None
        if isinstance(parsed, dict):
            r.repairs.append("parsed arguments given as a JSON string")
            args = parsed
        elif not text:
            args = {}
        else:
            req = _required(tool.schema)
            props = _properties(tool.schema)
            if len(req) == 1 and r.deref(props.get(req[0])).get("type") == "string":
                r.repairs.append(f"took the text arguments as {req[0]}")
                args = {req[0]: args}
    if args is None:
        args = {}
    if not isinstance(args, dict):
        r.errors.append(f"arguments must be an object, got {_show(args)}")
        return RepairResult(tool.name, {}, _required(tool.schema), r.repairs, {}, r.errors)
    fixed = r.obj(args, tool.schema, "", top=True)
    return RepairResult(
        tool.name, fixed, r.missing, r.repairs, r.dropped, r.errors, r.recognized, r.unrecognized, r.rescued
    )


def repair_arguments(name: str, arguments: dict[str, Any], tools: list[dict[str, Any]]) -> RepairResult:
    """Repair a call's arguments against its tool's JSON schema (also for native calls that are slightly off).

    The name is resolved first (`read_file` -> `read`); then argument names are matched to the schema's
    properties case-insensitively and through aliases (`file_path` -> `path`), values are coerced to the
    schema's types ("10" -> 10, "true" -> true, a single value -> [value]), unknown keys are dropped when the
    schema forbids extras (the tool's own parameters: unless it allows them explicitly), and required
    arguments still absent are listed in `missing`. Nothing is filled in from defaults. An unknown tool gives
    `name=None`, the arguments unchanged and an error.
    """
    index = _tool_index(tools)
    resolved, how = _resolve_tool_name(name, tuple(index))
    if resolved is None:
        suggestion = suggest_tool_name(name, tools)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        return RepairResult(
            None,
            dict(arguments) if isinstance(arguments, dict) else {},
            errors=[f"unknown tool {name!r}{hint}"],
        )
    result = _repair(index[resolved], arguments)
    if how != "exact":
        result.repairs.insert(0, f"tool name {name!r} -> {resolved!r}")
    return result
