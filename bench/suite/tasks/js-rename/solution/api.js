"use strict";
// Read access to the user list (an in-memory stand-in for the database).

const USERS = [
  { id: 1, name: "Ann", role: "admin", active: true },
  { id: 2, name: "Bob", role: "editor", active: false },
  { id: 3, name: "Cid", role: "editor", active: true },
];

function findUsers(filter = {}) {
  return USERS.filter((user) => Object.entries(filter).every(([key, value]) => user[key] === value));
}

function activeUsers() {
  return findUsers({ active: true });
}

function userNames(filter) {
  return findUsers(filter).map((user) => user.name);
}

function byId(id) {
  return findUsers({ id })[0] ?? null;
}

module.exports = { findUsers, activeUsers, userNames, byId };
