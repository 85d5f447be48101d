"use strict";
const assert = require("node:assert/strict");
const { History, lastItems } = require("./history.js");

assert.deepEqual(lastItems([1, 2, 3, 4, 5], 3), [3, 4, 5]);
assert.deepEqual(lastItems([1, 2, 3, 4, 5], 1), [5]);
assert.deepEqual(lastItems([1, 2], 5), [1, 2]);
assert.deepEqual(lastItems([1, 2, 3], 0), []);

const history = new History(3);
for (const id of ["a", "b", "c", "a", "d"]) history.add(id);
assert.deepEqual(history.items, ["c", "a", "d"]);
assert.deepEqual(lastItems(history.items, 2), ["a", "d"]);
assert.ok(history.has("a") && !history.has("b"));
console.log("ok");
