"""Tests for the forgiving text tool-call parser, argument repair and the constrained-reply schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from skiff.agent.parsing.toolcalls import (
    ParsedToolCall,
    loads_forgiving,
    parse_constrained_reply,
    parse_tool_calls,
    repair_arguments,
    strip_tool_calls,
    suggest_tool_name,
    toolcall_json_schema,
)

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from toolcall_corpus import ALL_CASES, ARG_MODELS, CASES, NEGATIVE_CASES, TOOLS

# --------------------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------------------


def test_corpus_size_and_shape() -> None:
    assert len(ALL_CASES) >= 80
    assert len(NEGATIVE_CASES) >= 20
    assert all(case["expect"] for case in CASES), "positive cases must expect at least one call"
    ids = [case["id"] for case in ALL_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["id"] for c in ALL_CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    text: str = case["text"]
    calls = parse_tool_calls(text, TOOLS)
    assert [(c.name, c.arguments) for c in calls] == [tuple(e) for e in case["expect"]]
    if case.get("fmt"):
        assert {c.source_format for c in calls} == {case["fmt"]}
    if "missing" in case:
        assert calls[0].missing == case["missing"]
    previous = (0, 0)
    for c in calls:
        start, end = c.span
        # in text order; calls read from one JSON object (OpenAI tool_calls) share its span
        assert c.span == previous or previous[1] <= start < end <= len(text), f"bad span {c.span}"
        previous = c.span
        if c.ok:
            # the repaired arguments pass the real tool's validation
            ARG_MODELS[c.name].model_validate(c.arguments)


def test_corpus_positive_calls_validate_against_tool_models() -> None:
    """Guards the corpus itself: every expected call without missing arguments is a valid call of its tool."""
    for case in CASES:
        if "missing" in case:
            continue
        for name, arguments in case["expect"]:
            ARG_MODELS[name].model_validate(arguments)


def test_missing_arguments_fail_the_tool_model() -> None:
    (call,) = parse_tool_calls('{"name": "edit", "arguments": {"path": "a.py", "old_string": "x"}}', TOOLS)
    assert call.missing == ["new_string"] and not call.ok
    with pytest.raises(ValidationError):
        ARG_MODELS["edit"].model_validate(call.arguments)


# --------------------------------------------------------------------------------------------------------
# parse_tool_calls details
# --------------------------------------------------------------------------------------------------------


def test_empty_inputs() -> None:
    assert parse_tool_calls("", TOOLS) == []
    assert parse_tool_calls('{"name": "read", "arguments": {"path": "a"}}', []) == []


def test_repairs_are_reported() -> None:
    text = (
        '```json\n{"name": "read_file", "arguments": {"file_path": "a.py", "limit": "20", "mode": "r"}}\n```'
    )
    (call,) = parse_tool_calls(text, TOOLS)
    assert call.name == "read" and call.raw_name == "read_file"
    assert call.arguments == {"path": "a.py", "limit": 20}
    assert call.dropped == {"mode": "r"}
    joined = " | ".join(call.repairs)
    assert "read_file" in joined and "file_path -> path" in joined and "mode" in joined and "20" in joined


def test_span_covers_the_fence_and_strip_leaves_the_prose() -> None:
    text = 'I will read it.\n```json\n{"name": "read", "arguments": {"path": "a.py"}}\n```\nThen fix it.'
    (call,) = parse_tool_calls(text, TOOLS)
    assert text[call.span[0] : call.span[1]].startswith("```json")
    assert text[call.span[0] : call.span[1]].endswith("```")
    assert strip_tool_calls(text, [call]) == "I will read it.\n\nThen fix it."


def test_duplicate_calls_are_dropped_but_distinct_ones_kept() -> None:
    one = '{"name": "read", "arguments": {"path": "a.py"}}'
    two = '{"name": "read", "arguments": {"path": "b.py"}}'
    calls = parse_tool_calls(f"{one}\n{one}\n{two}", TOOLS)
    assert [c.arguments["path"] for c in calls] == ["a.py", "b.py"]


def test_calls_come_back_in_text_order_across_formats() -> None:
    text = (
        '[TOOL_CALLS]read[ARGS]{"path": "first.py"}\n'
        '<tool_call>{"name": "read", "arguments": {"path": "second.py"}}</tool_call>\n'
        '```json\n{"name": "read", "arguments": {"path": "third.py"}}\n```'
    )
    calls = parse_tool_calls(text, TOOLS)
    assert [c.arguments["path"] for c in calls] == ["first.py", "second.py", "third.py"]
    assert [c.source_format for c in calls] == ["mistral", "hermes", "fenced"]


def test_explicit_tag_accepts_tool_without_required_params_and_empty_arguments() -> None:
    tools = [
        *TOOLS,
        {"type": "function", "function": {"name": "list_changes", "parameters": {"type": "object"}}},
    ]
    (call,) = parse_tool_calls('<tool_call>{"name": "list_changes", "arguments": {}}</tool_call>', tools)
    assert call.name == "list_changes" and call.arguments == {}
    # ... but an empty object in prose is not taken as a call, and neither is a bare name for a tool with
    # required parameters in a tag
    assert parse_tool_calls('{"name": "list_changes", "arguments": {}}', tools) == []
    assert parse_tool_calls('<tool_call>{"name": "read"}</tool_call>', tools) == []


def test_large_code_reply_is_not_a_call() -> None:
    code = "function f(x) { if (x) { return {a: x, b: [1, 2]}; } }\n" * 1500
    assert parse_tool_calls(f"```js\n{code}```\n{code}", TOOLS) == []


def test_only_known_tool_names_are_accepted() -> None:
    text = '<tool_call>{"name": "deploy", "arguments": {"path": "a"}}</tool_call>'
    assert parse_tool_calls(text, TOOLS) == []
    only_read = [t for t in TOOLS if t["function"]["name"] == "read"]
    assert parse_tool_calls('{"name": "bash", "arguments": {"command": "ls"}}', only_read) == []


def test_parsed_call_type() -> None:
    (call,) = parse_tool_calls('<|python_tag|>bash.call(command="ls")', TOOLS)
    assert isinstance(call, ParsedToolCall)
    assert call.source_format == "python_tag" and call.errors == [] and call.ok


# --------------------------------------------------------------------------------------------------------
# loads_forgiving
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),
        ("{'a': 'it''s'}", {"a": "it''s"}),
        (
            "{'path': 'a.py', 'flag': True, 'none': None, 'off': False}",
            {"path": "a.py", "flag": True, "none": None, "off": False},
        ),
        ('{path: "a.py", old_string: "x"}', {"path": "a.py", "old_string": "x"}),
        ('{"content": "line1\nline2"}', {"content": "line1\nline2"}),
        ('{"content": "print("hi")"}', {"content": 'print("hi")'}),
        ('{"content": "say "a, b" now", "n": 1}', {"content": 'say "a, b" now', "n": 1}),
        ('{"pattern": "\\d+\\s"}', {"pattern": "\\d+\\s"}),
        ('{"a": "\\u00e9\\ud83d\\ude00"}', {"a": "é😀"}),
        ('{"code": """def f():\n    return 1\n"""}', {"code": "def f():\n    return 1\n"}),
        ("{'regex': r'\\bword\\b'}", {"regex": "\\bword\\b"}),
        ('{\n  // comment\n  "a": 1, /* block */ "b": 2 # python comment\n}', {"a": 1, "b": 2}),
        ('{"a": 1\n "b": 2}', {"a": 1, "b": 2}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),
        ("(1, 'two')", [1, "two"]),
        ("[+1, -2, .5, 1e3]", [1, -2, 0.5, 1000.0]),
        ('"just a string"', "just a string"),
        ("42", 42),
    ],
)
def test_loads_forgiving_accepts(text: str, expected: Any) -> None:
    assert loads_forgiving(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello world", "{'a': }", "[1, 2] and more", '{"a": "unterminated', "{a b}", "{{}}", "-"],
)
def test_loads_forgiving_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        loads_forgiving(text)


def test_loads_forgiving_matches_json_on_valid_json() -> None:
    doc = {"s": 'quote " and \\ backslash\n', "n": [1, -2.5e-3, None], "o": {"k": False}}
    assert loads_forgiving(json.dumps(doc)) == doc
    assert loads_forgiving(json.dumps(doc, indent=2)) == doc


# --------------------------------------------------------------------------------------------------------
# repair_arguments
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("read", {"file_path": "a"}, {"path": "a"}),
        ("read", {"filepath": "a"}, {"path": "a"}),
        ("read", {"FileName": "a"}, {"path": "a"}),
        ("read", {"PATH": "a"}, {"path": "a"}),
        (
            "edit",
            {"file": "a", "old_str": "x", "new_str": "y"},
            {"path": "a", "old_string": "x", "new_string": "y"},
        ),
        (
            "edit",
            {"path": "a", "search": "x", "replacement": "y"},
            {"path": "a", "old_string": "x", "new_string": "y"},
        ),
        (
            "edit",
            {"path": "a", "old_text": "x", "new_text": "y"},
            {"path": "a", "old_string": "x", "new_string": "y"},
        ),
        ("write", {"path": "a", "file_text": "t"}, {"path": "a", "content": "t"}),
        ("write", {"path": "a", "contents": "t"}, {"path": "a", "content": "t"}),
        ("write", {"path": "a", "body": "t"}, {"path": "a", "content": "t"}),
        ("bash", {"cmd": "ls"}, {"command": "ls"}),
        ("bash", {"script": "ls"}, {"command": "ls"}),
        ("grep", {"query": "x"}, {"pattern": "x"}),
        ("grep", {"regex": "x", "directory": "src"}, {"pattern": "x", "path": "src"}),
        ("glob", {"glob_pattern": "*.py"}, {"pattern": "*.py"}),
    ],
)
def test_repair_parameter_aliases(name: str, arguments: dict[str, Any], expected: dict[str, Any]) -> None:
    result = repair_arguments(name, arguments, TOOLS)
    assert result.name == name
    assert result.arguments == expected
    assert result.missing == [] and result.errors == [] and result.ok


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("read", {"path": "a", "offset": "10", "limit": " 5 "}, {"path": "a", "offset": 10, "limit": 5}),
        ("read", {"path": "a", "offset": 10.0}, {"path": "a", "offset": 10}),
        (
            "edit",
            {"path": "a", "old_string": "x", "new_string": "y", "replace_all": "true"},
            {"path": "a", "old_string": "x", "new_string": "y", "replace_all": True},
        ),
        ("grep", {"pattern": "x", "ignore_case": "yes"}, {"pattern": "x", "ignore_case": True}),
        ("grep", {"pattern": "x", "ignore_case": 0}, {"pattern": "x", "ignore_case": False}),
        ("write", {"path": "a", "content": 42}, {"path": "a", "content": "42"}),
        ("write", {"path": 7, "content": ["a", "b"]}, {"path": "7", "content": "a\nb"}),
        # the live schema shows glob as an optional string: null means "not given", like offset above
        ("grep", {"pattern": "x", "glob": None}, {"pattern": "x"}),
        ("grep", {"pattern": "x", "glob": 5}, {"pattern": "x", "glob": "5"}),
        ("read", {"path": "a", "offset": None, "limit": ""}, {"path": "a"}),
        ("scratchpad", {"items": {"content": "one"}}, {"items": [{"content": "one"}]}),
        ("scratchpad", {"items": "solo task"}, {"items": [{"content": "solo task"}]}),
        (
            "scratchpad",
            {"items": '[{"content": "a", "status": "Done"}]'},
            {"items": [{"content": "a", "status": "completed"}]},
        ),
        (
            "scratchpad",
            {"items": [{"content": "a", "status": "In Progress"}]},
            {"items": [{"content": "a", "status": "in_progress"}]},
        ),
        (
            "scratchpad",
            {"items": [{"content": "a", "status": "pendng"}]},
            {"items": [{"content": "a", "status": "pending"}]},
        ),
    ],
)
def test_repair_type_coercion(name: str, arguments: dict[str, Any], expected: dict[str, Any]) -> None:
    result = repair_arguments(name, arguments, TOOLS)
    assert result.arguments == expected
    assert result.errors == [] and result.missing == []
    ARG_MODELS[name].model_validate(result.arguments)
    if arguments != expected:
        assert result.repairs, "a change must be reported"


def test_repair_reports_values_it_cannot_fix() -> None:
    result = repair_arguments("read", {"path": "a", "offset": "ten", "limit": True}, TOOLS)
    assert result.arguments == {"path": "a", "offset": "ten", "limit": True}
    assert len(result.errors) == 2 and "offset" in result.errors[0] and "limit" in result.errors[1]
    assert not result.ok
    bad_enum = repair_arguments("scratchpad", {"items": [{"content": "a", "status": "blocked"}]}, TOOLS)
    assert bad_enum.errors and "items[0].status" in bad_enum.errors[0]


def test_repair_reports_missing_required_precisely() -> None:
    result = repair_arguments("edit", {"path": "a.py"}, TOOLS)
    assert result.missing == ["old_string", "new_string"]
    nested = repair_arguments("scratchpad", {"items": [{"content": "a"}, {"status": "pending"}]}, TOOLS)
    assert nested.missing == ["items[1].content"]
    assert repair_arguments("bash", {}, TOOLS).missing == ["command"]


def _note_tool(**schema: Any) -> list[dict[str, Any]]:
    parameters = {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
        **schema,
    }
    return [{"type": "function", "function": {"name": "note", "parameters": parameters}}]


def test_repair_drops_unknown_keys_unless_schema_allows_extras() -> None:
    strict = repair_arguments("read", {"path": "a", "encoding": "utf-8", "verbose": True}, TOOLS)
    assert strict.arguments == {"path": "a"}
    assert strict.dropped == {"encoding": "utf-8", "verbose": True}
    assert any("encoding" in r for r in strict.repairs)
    # a tool's parameters without `additionalProperties` (most MCP tools) are a closed set too ...
    unsaid = repair_arguments("note", {"text": "hi", "tag": "x"}, _note_tool())
    assert unsaid.arguments == {"text": "hi"} and unsaid.dropped == {"tag": "x"}
    assert "dropped unknown argument tag" in unsaid.repairs
    # ... a key that is another name for a real one is mapped onto it before anything is dropped ...
    alias = repair_arguments("note", {"contents": "hi", "tag": "x"}, _note_tool())
    assert alias.arguments == {"text": "hi"} and alias.dropped == {"tag": "x"}
    # ... and extras are kept when the schema allows them
    lenient = repair_arguments("note", {"text": "hi", "tag": "x"}, _note_tool(additionalProperties=True))
    assert lenient.arguments == {"text": "hi", "tag": "x"} and lenient.dropped == {}
    typed = repair_arguments(
        "note", {"text": "hi", "n": "2"}, _note_tool(additionalProperties={"type": "integer"})
    )
    assert typed.arguments == {"text": "hi", "n": 2}
    # nested objects keep JSON Schema's default (extras allowed): scratchpad items ignore unknown keys
    nested = repair_arguments("scratchpad", {"items": [{"content": "a", "id": 1}]}, TOOLS)
    assert nested.arguments == {"items": [{"content": "a", "id": 1}]}


def test_repair_maps_only_onto_names_the_schema_has() -> None:
    # `file_path` means `path`, but bash has no path: it is dropped, not forced onto `command`...
    result = repair_arguments("bash", {"command": "ls", "file_path": "a"}, TOOLS)
    assert result.arguments == {"command": "ls"} and result.dropped == {"file_path": "a"}
    # ... and an explicit name wins over an alias of it
    both = repair_arguments("read", {"path": "a", "file_path": "b"}, TOOLS)
    assert both.arguments == {"path": "a"} and both.dropped == {"file_path": "b"}
    # `search` is old_string for edit but pattern for grep
    assert repair_arguments("grep", {"search": "x"}, TOOLS).arguments == {"pattern": "x"}


def test_repair_does_not_fill_defaults() -> None:
    assert repair_arguments("read", {"path": "a"}, TOOLS).arguments == {"path": "a"}


def test_repair_resolves_name_and_unwraps_nested_arguments() -> None:
    result = repair_arguments("Read_File", {"arguments": {"filePath": "a"}}, TOOLS)
    assert result.name == "read" and result.arguments == {"path": "a"}
    assert result.repairs[0] == "tool name 'Read_File' -> 'read'"
    from_string = repair_arguments("read", '{"path": "a", "offset": "3"}', TOOLS)  # type: ignore[arg-type]
    assert from_string.arguments == {"path": "a", "offset": 3}


def test_repair_unknown_tool() -> None:
    result = repair_arguments("read_url", {"url": "http://x"}, TOOLS)
    assert result.name is None and not result.ok
    assert result.arguments == {"url": "http://x"}
    assert "unknown tool 'read_url'" in result.errors[0]


def test_repair_single_unknown_key_fills_the_single_missing_parameter() -> None:
    result = repair_arguments("bash", {"shell_cmd_line": "make"}, TOOLS)
    assert result.arguments == {"command": "make"} and result.missing == []


# --------------------------------------------------------------------------------------------------------
# suggest_tool_name
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("read", "read"),
        ("READ", "read"),
        ("Edit", "edit"),
        ("read_file", "read"),
        ("readFile", "read"),
        ("file_read", "read"),
        ("view_file", "read"),
        ("run_bash", "bash"),
        ("shell", "bash"),
        ("execute_command", "bash"),
        ("search", "grep"),
        ("ripgrep", "grep"),
        ("grep_search", "grep"),
        ("write_file", "write"),
        ("create_file", "write"),
        ("str_replace", "edit"),
        ("replace", "edit"),
        ("edit_file", "edit"),
        ("find_files", "glob"),
        ("todo_write", "scratchpad"),
        ("functions.read", "read"),
        ("default_api.bash", "bash"),
        ("grpe", "grep"),
        ("wirte", "write"),
        ("scrachpad", "scratchpad"),
        ("banana", None),
        ("get_weather", None),
        ("search_web", None),
        ("read_write", None),
        ("", None),
    ],
)
def test_suggest_tool_name(written: str, expected: str | None) -> None:
    assert suggest_tool_name(written, TOOLS) == expected


def test_suggest_tool_name_follows_the_tools_given() -> None:
    other = [
        {"type": "function", "function": {"name": "read_file"}},
        {"type": "function", "function": {"name": "shell"}},
    ]
    assert suggest_tool_name("read", other) == "read_file"
    assert suggest_tool_name("bash", other) == "shell"
    assert suggest_tool_name("grep", other) is None


# --------------------------------------------------------------------------------------------------------
# toolcall_json_schema / parse_constrained_reply
# --------------------------------------------------------------------------------------------------------

_JSON_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _valid(instance: Any, schema: dict[str, Any]) -> bool:
    """A small, independent JSON-schema check for the keywords the constrained schema uses."""
    assert "$ref" not in schema, "the constrained schema must be self-contained"
    if "anyOf" in schema and not any(_valid(instance, s) for s in schema["anyOf"]):
        return False
    if "const" in schema and instance != schema["const"]:
        return False
    if "enum" in schema and instance not in schema["enum"]:
        return False
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        ok = False
        for name in types:
            if name == "integer":
                ok |= isinstance(instance, int) and not isinstance(instance, bool)
            elif name == "number":
                ok |= isinstance(instance, int | float) and not isinstance(instance, bool)
            else:
                ok |= isinstance(instance, _JSON_TYPES[name]) and not (
                    name != "boolean" and isinstance(instance, bool)
                )
        if not ok:
            return False
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        if any(r not in instance for r in schema.get("required", [])):
            return False
        for k, v in instance.items():
            if k in props:
                if not _valid(v, props[k]):
                    return False
            elif schema.get("additionalProperties") is False:
                return False
    if isinstance(instance, list) and "items" in schema:
        return all(_valid(x, schema["items"]) for x in instance)
    return True


VALID_REPLIES: list[Any] = [
    {"final": "The tests pass now."},
    {"name": "read", "arguments": {"path": "a.py"}},
    {"name": "read", "arguments": {"path": "a.py", "offset": 5, "limit": 10}},
    {"name": "grep", "arguments": {"pattern": "x", "glob": "*.py", "ignore_case": True}},
    {
        "name": "scratchpad",
        "arguments": {"items": [{"content": "a", "status": "completed"}, {"content": "b"}]},
    },
]
INVALID_REPLIES: list[Any] = [
    {"final": 3},
    {"name": "grep", "arguments": {"pattern": "x", "glob": None}},  # glob is shown as a string
    {"final": "x", "name": "read"},
    {"name": "open", "arguments": {"path": "a.py"}},
    {"name": "read", "arguments": {}},
    {"name": "read"},
    {"name": "read", "arguments": {"path": 1}},
    {"name": "read", "arguments": {"path": "a", "offset": "5"}},
    {"name": "read", "arguments": {"path": "a", "mode": "r"}},
    {"name": "read", "arguments": {"command": "ls"}},
    {"name": "scratchpad", "arguments": {"items": [{"content": "a", "status": "blocked"}]}},
    {"name": "scratchpad", "arguments": {"items": [{"status": "pending"}]}},
    {"name": "bash", "arguments": {"command": "ls"}, "thought": "x"},
    ["read"],
]


def test_toolcall_json_schema_shape() -> None:
    schema = toolcall_json_schema(TOOLS)
    branches = schema["anyOf"]
    names = [b["properties"]["name"]["const"] for b in branches if "name" in b["properties"]]
    assert names == [t["function"]["name"] for t in TOOLS]
    assert sum("final" in b["properties"] for b in branches) == 1
    assert "$ref" not in json.dumps(schema) and "$defs" not in json.dumps(schema)
    json.dumps(schema)  # serialisable as a response_format payload


def test_toolcall_json_schema_accepts_calls_and_final_answers() -> None:
    schema = toolcall_json_schema(TOOLS)
    for reply in VALID_REPLIES:
        assert _valid(reply, schema), reply
    for reply in INVALID_REPLIES:
        assert not _valid(reply, schema), reply
    # every fully-specified expected call in the corpus is a reply the grammar allows
    for case in CASES:
        if "missing" not in case:
            for name, arguments in case["expect"]:
                assert _valid({"name": name, "arguments": arguments}, schema), case["id"]


def test_toolcall_json_schema_with_jsonschema_package() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = toolcall_json_schema(TOOLS)
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    for reply in VALID_REPLIES:
        assert validator.is_valid(reply), reply
    for reply in INVALID_REPLIES:
        assert not validator.is_valid(reply), reply


def test_parse_constrained_reply() -> None:
    assert parse_constrained_reply('{"final": "All done."}', TOOLS) == ([], "All done.")
    calls, final = parse_constrained_reply(
        '{"name": "read", "arguments": {"path": "a.py", "offset": 3}}', TOOLS
    )
    assert final == "" and [(c.name, c.arguments, c.source_format) for c in calls] == [
        ("read", {"path": "a.py", "offset": 3}, "constrained")
    ]
    # a backend that ignored the grammar: the text parser takes over, the prose stays as final text
    calls, final = parse_constrained_reply(
        'Reading it.\n<tool_call>{"name": "read", "arguments": {"path": "b.py"}}</tool_call>', TOOLS
    )
    assert [c.arguments for c in calls] == [{"path": "b.py"}] and final == "Reading it."
    assert parse_constrained_reply("Just an answer.", TOOLS) == ([], "Just an answer.")
    assert parse_constrained_reply('{"name": "nope", "arguments": {}}', TOOLS)[0] == []


def test_toolcall_json_schema_converts_to_a_llama_cpp_grammar() -> None:
    grammar_mod = pytest.importorskip("llama_cpp.llama_grammar")
    gbnf = grammar_mod.json_schema_to_gbnf(json.dumps(toolcall_json_schema(TOOLS)))
    for tool in TOOLS:
        assert f'"\\"{tool["function"]["name"]}\\""' in gbnf
    assert '"\\"final\\""' in gbnf
    grammar_mod.LlamaGrammar.from_string(gbnf, verbose=False)


def test_constrained_generation_with_a_real_model(smollm2_path: Path) -> None:
    """SmolLM2-135M under the grammar: a reply that stops on its own is schema-valid and parses."""
    llama_cpp = pytest.importorskip("llama_cpp")
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    schema = toolcall_json_schema(TOOLS)
    llm = llama_cpp.Llama(str(smollm2_path), n_ctx=1024, n_threads=2, seed=1, verbose=False)
    grammar = LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(schema)), verbose=False)
    system = (
        'Reply with JSON: either {"name": tool, "arguments": {...}} using tools read(path), bash(command), '
        'or {"final": text}.'
    )
    out = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": "Run the command ls -la"},
        ],
        grammar=grammar,
        max_tokens=80,
        temperature=0,
    )
    choice = out["choices"][0]
    text = choice["message"]["content"]
    assert choice["finish_reason"] == "stop", text
    assert _valid(json.loads(text, strict=False), schema)
    calls, final = parse_constrained_reply(text, TOOLS)
    assert (len(calls) == 1 and final == "" and calls[0].ok) or (calls == [] and final)


def test_repair_keeps_null_for_a_nullable_parameter() -> None:
    nullable = {
        "type": "function",
        "function": {
            "name": "find",
            "description": "",
            "parameters": {
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "glob": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": ["pattern"],
                "additionalProperties": False,
            },
        },
    }
    result = repair_arguments("find", {"pattern": "x", "glob": None}, [nullable])
    assert result.arguments == {"pattern": "x", "glob": None}
    assert result.ok
