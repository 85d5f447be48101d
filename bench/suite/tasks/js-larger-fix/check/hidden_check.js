"use strict";
const assert = require("node:assert/strict");
const { TodoList, TodoError } = require("./todo.js");

const list = new TodoList();
list.add("buy milk");
list.add("call mum", { priority: "high", due: "2024-05-01" });
list.add("write report", { due: "2024-06-01" });
list.add("water plants", { priority: "low" });

list.remove(2);
assert.deepEqual(list.todos.map((t) => t.id), [1, 3, 4]);
list.remove(1);
assert.deepEqual(list.todos.map((t) => t.id), [3, 4]);
list.remove(4);
assert.deepEqual(list.todos.map((t) => t.id), [3]);
assert.throws(() => list.remove(42), TodoError);

const other = new TodoList();
other.add("a", { priority: "low" });
other.add("b", { priority: "high", due: "2024-01-01" });
other.add("c");
other.complete(1);
assert.deepEqual(other.byPriority().map((t) => t.title), ["b", "c"]);
assert.deepEqual(other.overdue("2024-02-01").map((t) => t.title), ["b"]);
assert.deepEqual(other.stats(), { total: 3, done: 1, pending: 2, percent: 33 });
assert.equal(other.toText().split("\n")[0], "[x] 1. a");
other.tag(2, " Work ");
assert.deepEqual(other.withTag("work").map((t) => t.id), [2]);
const copy = TodoList.fromJSON(JSON.parse(JSON.stringify(other)));
assert.equal(copy.clearDone(), 1);
assert.deepEqual(copy.search("B").map((t) => t.id), [2]);
assert.equal(other.todos.length, 3);
console.log("ok");
