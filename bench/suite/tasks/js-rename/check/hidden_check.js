"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const api = require("./api.js");

assert.equal(typeof api.findUsers, "function");
assert.equal(api.getData, undefined);
assert.ok(!/\bgetData\b/.test(fs.readFileSync("api.js", "utf8")), "getData is still mentioned");
assert.deepEqual(api.findUsers({ role: "editor" }).map((u) => u.id), [2, 3]);
assert.deepEqual(api.activeUsers().map((u) => u.name), ["Ann", "Cid"]);
assert.deepEqual(api.userNames({ role: "admin" }), ["Ann"]);
assert.equal(api.byId(3).name, "Cid");
assert.equal(api.byId(9), null);
console.log("ok");
