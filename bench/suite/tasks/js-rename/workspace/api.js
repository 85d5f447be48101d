"use strict";
// Read access to the user list (an in-memory stand-in for the database).

const USERS = [
  { id: 1, name: "Ann", role: "admin", active: true },
  { id: 2, name: "Bob", role: "editor", active: false },
  { id: 3, name: "Cid", role: "editor", active: true },
];

function getData(filter = {}) {
  return USERS.filter((user) => Object.entries(filter).every(([key, value]) => user[key] === value));
}

function activeUsers() {
  return getData({ active: true });
}

function userNames(filter) {
  return getData(filter).map((user) => user.name);
}

function byId(id) {
  return getData({ id })[0] ?? null;
}

module.exports = { getData, activeUsers, userNames, byId };
