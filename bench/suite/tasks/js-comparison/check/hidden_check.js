"use strict";
const assert = require("node:assert/strict");
const { adults, minors, averageAge } = require("./people.js");

const people = [
  { name: "Ann", age: 17 },
  { name: "Bob", age: 18 },
  { name: "Cid", age: 40 },
];
assert.deepEqual(adults(people).map((p) => p.name), ["Bob", "Cid"]);
assert.deepEqual(minors(people).map((p) => p.name), ["Ann"]);
assert.equal(averageAge(people), 25);
assert.equal(averageAge([]), 0);
console.log("ok");
