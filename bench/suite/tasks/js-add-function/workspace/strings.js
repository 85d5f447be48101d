"use strict";
// String helpers for the site generator.

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function titleCase(text) {
  return text.split(" ").map(capitalize).join(" ");
}

function truncate(text, width, suffix = "...") {
  if (text.length <= width) {
    return text;
  }
  return text.slice(0, width - suffix.length).trimEnd() + suffix;
}

module.exports = { capitalize, titleCase, truncate };
