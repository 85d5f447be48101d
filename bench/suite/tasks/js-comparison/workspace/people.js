"use strict";
// Filters for the event sign-up list.

const ADULT_AGE = 18;

function adults(people) {
  return people.filter((person) => person.age > ADULT_AGE);
}

function minors(people) {
  return people.filter((person) => person.age < ADULT_AGE);
}

function averageAge(people) {
  if (people.length === 0) {
    return 0;
  }
  return people.reduce((sum, person) => sum + person.age, 0) / people.length;
}

module.exports = { adults, minors, averageAge };
