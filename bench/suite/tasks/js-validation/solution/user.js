"use strict";
// Accounts for the club's members.

const ADULT_AGE = 18;

function createUser(name, age) {
  if (!Number.isInteger(age) || age < 0) {
    throw new Error(`invalid age: ${age}`);
  }
  return {
    name: name.trim(),
    age,
    isAdult: age >= ADULT_AGE,
  };
}

function describe(user) {
  const kind = user.isAdult ? "adult" : "junior";
  return `${user.name} (${user.age}, ${kind})`;
}

module.exports = { createUser, describe };
