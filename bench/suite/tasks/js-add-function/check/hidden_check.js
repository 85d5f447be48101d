"use strict";
const assert = require("node:assert/strict");
const strings = require("./strings.js");

assert.equal(typeof strings.kebabCase, "function");
assert.equal(strings.kebabCase("Hello World"), "hello-world");
assert.equal(strings.kebabCase("Make It Small"), "make-it-small");
assert.equal(strings.kebabCase("one"), "one");

assert.equal(strings.capitalize("word"), "Word");
assert.equal(strings.titleCase("the big sea"), "The Big Sea");
assert.equal(strings.truncate("hello world", 8), "hello...");
console.log("ok");
