"use strict";
const assert = require("node:assert/strict");
const { createUser, describe } = require("./user.js");

for (const bad of [-1, 2.5, "30", NaN, undefined, null]) {
  assert.throws(() => createUser("Ann", bad), Error, `age ${String(bad)} should be rejected`);
}
assert.deepEqual(createUser(" Ann ", 30), { name: "Ann", age: 30, isAdult: true });
assert.equal(createUser("Bo", 0).isAdult, false);
assert.equal(describe(createUser("Bo", 12)), "Bo (12, junior)");
console.log("ok");
