"use strict";
// Recently viewed products, oldest first.

class History {
  constructor(limit = 20) {
    this.limit = limit;
    this.items = [];
  }

  add(id) {
    this.items = this.items.filter((item) => item !== id);
    this.items.push(id);
    if (this.items.length > this.limit) {
      this.items.shift();
    }
  }

  has(id) {
    return this.items.includes(id);
  }
}

function lastItems(items, n) {
  if (n <= 0) {
    return [];
  }
  return items.slice(items.length - n - 1);
}

module.exports = { History, lastItems };
