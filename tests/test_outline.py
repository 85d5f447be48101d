"""Outlines of source files: Python via ast, JavaScript/TypeScript via tree-sitter, others by pattern."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from skiff.agent import outline as outline_module
from skiff.agent.context import RequestContext
from skiff.agent.edit_context import gather
from skiff.agent.outline import outline
from skiff.agent.tokens import cl100k
from skiff.agent.workspace import Overlay, Workspace

PY = '''import os


@app.route(
    "/x",
)
def handler(
    request: Request,  # the request
    *,
    timeout: float = 1.0,
) -> Response:
    def inner(a): return a
    return inner


class Cart(Base):
    """A cart."""

    @property
    def total(self) -> int:
        return 1

    async def load(self, url: str = "http://x:80") -> dict[str, int]:
        pass
'''

JS = """// helpers
const helper = require("./helper");

/** Adds. */
function add(a, b) { return a + b; }
async function* stream(
  source, // where from
  opts = {},
) {}
class Cart extends Base {
  #items = [];
  constructor(items) { super(); }
  add(item) { this.#items.push(item); }
  get size() { return this.#items.length; }
  onClick = (e) => { this.add(e); };
}
const double = x => x * 2;
const triple = async (x) => { return x * 3; };
const config = { port: 80 };
const api = { get(url) { return fetch(url); }, post: async (url, body) => null, name: "api" };
exports.div = function div(a, b) { return a / b; };
module.exports = { add, sub(a, b) { return a - b; }, mul: (a, b) => a * b };
"""

TS = """import { Item } from "./item";

export function add(a: number, b: number): number {
  return a + b;
}
export interface Priced<T = number> extends Named {
  price(): T;
  currency: string;
}
export type Price = number | { amount: number; currency: string };
type Handlers = { onAdd(item: Item): void; onRemove(item: Item): void; onClear(): void; onSave(): void };
export abstract class Store<T extends Item> extends Base implements Priced<number> {
  private items: T[] = [];
  abstract size(): number;
  find<K extends keyof T>(key: K, value: T[K]): T | undefined { return undefined; }
  static async *load<U>(
    url: string,
    parse: (raw: string) => U,
  ): AsyncGenerator<U> {}
}
export const total = (items: Item[]): number => items.reduce((s, i) => s + i.price(), 0);
export function over(a: string): string;
export function over(a: number): number;
export function over(a: any): any { return a; }
export enum Color { Red, Green }
namespace Shop {
  export class Till {
    open(): void {}
  }
}
"""


def test_python_headers_without_decorators_joined_onto_one_line() -> None:
    assert outline(PY, "app.py") == [
        "def handler(request: Request, *, timeout: float = 1.0) -> Response:",
        "  def inner(a):",
        "class Cart(Base):",
        "  def total(self) -> int:",
        '  async def load(self, url: str = "http://x:80") -> dict[str, int]:',
    ]


def test_python_that_does_not_parse_falls_back_to_patterns() -> None:
    assert outline("def broken(:\n    pass\n\nclass Ok:\n    def m(self): pass\n", "x.py") == [
        "def broken(:",
        "class Ok:",
        "  def m(self): pass",
    ]


def test_javascript_functions_classes_arrows_and_commonjs_exports() -> None:
    assert outline(JS, "lib/math.js") == [
        "function add(a, b)",
        "async function* stream(source, opts = {})",
        "class Cart extends Base",
        "  #items",
        "  constructor(items)",
        "  add(item)",
        "  get size()",
        "  onClick = (e) => …",
        "const double = x => …",
        "const triple = async (x) => …",
        "const api = { get, post, name }",
        "  get(url)",
        "  post: async (url, body) => …",
        "exports.div = function div(a, b)",
        "module.exports = { add, sub, mul }",
        "  sub(a, b)",
        "  mul: (a, b) => …",
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("export default function (req, res) { res.end(); }\n", ["export default function (req, res)"]),
        ("export default class extends Base { m() {} }\n", ["export default class extends Base", "  m()"]),
        ("export default (a, b) => a + b;\n", ["export default (a, b) => …"]),
        (
            "export default { data() { return {}; }, name: 'x' };\n",
            ["export default { data, name }", "  data()"],
        ),
        ("function f() {}\nexport default f;\n", ["function f()", "export default f"]),
        ("module.exports = class Foo { m() {} };\n", ["module.exports = class Foo", "  m()"]),
        ("module.exports = add;\n", ["module.exports = add"]),
    ],
)
def test_javascript_default_exports(source: str, expected: list[str]) -> None:
    assert outline(source, "m.mjs") == expected


def test_typescript_interfaces_types_generics_overloads_and_abstract_classes() -> None:
    assert outline(TS, "src/store.ts") == [
        "export function add(a: number, b: number): number",
        "export interface Priced<T = number> extends Named",
        "  price(): T",
        "  currency: string",
        "export type Price = number | { amount: number; currency: string }",
        "type Handlers = …",
        "export abstract class Store<T extends Item> extends Base implements Priced<number>",
        "  private items: T[]",
        "  abstract size(): number",
        "  find<K extends keyof T>(key: K, value: T[K]): T | undefined",
        "  static async *load<U>(url: string, parse: (raw: string) => U): AsyncGenerator<U>",
        "export const total = (items: Item[]): number => …",
        "export function over(a: string): string",
        "export function over(a: number): number",
        "export function over(a: any): any",
        "export enum Color { Red, Green }",
        "namespace Shop",
        "  export class Till",
        "    open(): void",
    ]


def test_tsx_components() -> None:
    source = (
        "import React from 'react';\n"
        "export interface Props { label: string }\n"
        "export const Button: React.FC<Props> = ({ label }) => <button>{label}</button>;\n"
        "export default function App({ title }: { title: string }): JSX.Element {\n"
        "  return <main><Button label={title} /></main>;\n"
        "}\n"
    )
    assert outline(source, "ui/App.tsx") == [
        "export interface Props",
        "  label: string",
        "export const Button: React.FC<Props> = ({ label }) => …",
        "export default function App({ title }: { title: string }): JSX.Element",
    ]


def test_the_limit_counts_lines_at_every_depth() -> None:
    assert outline(TS, "store.ts", limit=3) == [
        "export function add(a: number, b: number): number",
        "export interface Priced<T = number> extends Named",
        "  price(): T",
    ]
    assert len(outline(PY, "app.py", limit=2)) == 2
    many = "".join(f"function f{i}() {{}}\n" for i in range(100))
    assert len(outline(many, "many.js")) == 40


def test_a_syntax_error_still_outlines_what_parses() -> None:
    source = (
        "export function a(x: number): number {\n  return x +;\n}\n"
        "class B {\n  m(: void {}\n}\n"
        "export function c(): void {}\n"
    )
    lines = outline(source, "bad.ts")
    assert lines[0] == "export function a(x: number): number"
    assert "class B" in lines and "export function c(): void" in lines


def test_unknown_languages_and_missing_grammars_fall_back_to_patterns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    go = "package main\n\nfunc (s *Server) Handle(w http.ResponseWriter) {\n}\n\nfunc main() { run() }\n"
    assert outline(go, "main.go") == ["func (s *Server) Handle(w http.ResponseWriter)", "func main()"]
    monkeypatch.setattr(outline_module, "_PARSERS", {})
    monkeypatch.setitem(sys.modules, "tree_sitter_typescript", None)  # the import fails
    assert outline("export class A {\n  m(): void {}\n}\nexport const f = (a) => {\n};\n", "a.ts") == [
        "export class A",
        "export const f = (a) =>",
    ]
    assert outline_module._PARSERS == {"typescript": None}


def test_the_repo_map_shows_the_outline_of_an_imported_typescript_module(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "store.ts").write_text(TS)
    (tmp_path / "src" / "app.ts").write_text('import { Store } from "./store";\n\nexport const s = 1;\n')
    ctx = gather(
        Overlay(Workspace(tmp_path)), "add a comment", RequestContext(path="src/app.ts"), cl100k(), 4000
    )
    assert ctx.repo_map.startswith(
        "src/store.ts:\n"
        "  export function add(a: number, b: number): number\n"
        "  export interface Priced<T = number> extends Named\n"
        "    price(): T\n"
    )
    assert (
        "\n  export abstract class Store<T extends Item> extends Base implements Priced<number>\n"
        in ctx.repo_map
    )
