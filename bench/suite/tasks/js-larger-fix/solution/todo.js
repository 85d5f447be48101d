"use strict";
// A to-do list with priorities, due dates and simple statistics.

const PRIORITIES = ["low", "normal", "high"];

class TodoError extends Error {}

class TodoList {
  constructor() {
    this.todos = [];
    this.nextId = 1;
  }

  add(title, { priority = "normal", due = null } = {}) {
    if (!title || !title.trim()) {
      throw new TodoError("a todo needs a title");
    }
    if (!PRIORITIES.includes(priority)) {
      throw new TodoError(`unknown priority: ${priority}`);
    }
    const todo = { id: this.nextId++, title: title.trim(), priority, due, done: false };
    this.todos.push(todo);
    return todo;
  }

  get(id) {
    const todo = this.todos.find((t) => t.id === id);
    if (!todo) {
      throw new TodoError(`no todo with id ${id}`);
    }
    return todo;
  }

  complete(id) {
    this.get(id).done = true;
  }

  reopen(id) {
    this.get(id).done = false;
  }

  remove(id) {
    const index = this.todos.findIndex((t) => t.id === id);
    if (index === -1) {
      throw new TodoError(`no todo with id ${id}`);
    }
    this.todos.splice(index, 1);
  }

  rename(id, title) {
    if (!title || !title.trim()) {
      throw new TodoError("a todo needs a title");
    }
    this.get(id).title = title.trim();
  }

  pending() {
    return this.todos.filter((t) => !t.done);
  }

  done() {
    return this.todos.filter((t) => t.done);
  }

  overdue(today) {
    return this.pending().filter((t) => t.due !== null && t.due < today);
  }

  byPriority() {
    const rank = (t) => PRIORITIES.indexOf(t.priority);
    return [...this.pending()].sort((a, b) => rank(b) - rank(a) || a.id - b.id);
  }

  stats() {
    const total = this.todos.length;
    const finished = this.done().length;
    return {
      total,
      done: finished,
      pending: total - finished,
      percent: total === 0 ? 0 : Math.round((finished / total) * 100),
    };
  }

  tag(id, tag) {
    const todo = this.get(id);
    todo.tags = [...new Set([...(todo.tags || []), tag.trim().toLowerCase()])];
  }

  withTag(tag) {
    const wanted = tag.trim().toLowerCase();
    return this.todos.filter((t) => (t.tags || []).includes(wanted));
  }

  search(text) {
    const needle = text.trim().toLowerCase();
    return this.todos.filter((t) => t.title.toLowerCase().includes(needle));
  }

  clearDone() {
    const before = this.todos.length;
    this.todos = this.pending();
    return before - this.todos.length;
  }

  toJSON() {
    return { nextId: this.nextId, todos: this.todos.map((t) => ({ ...t })) };
  }

  static fromJSON(data) {
    const list = new TodoList();
    list.nextId = data.nextId;
    list.todos = data.todos.map((t) => ({ ...t }));
    return list;
  }

  toText() {
    return this.todos
      .map((t) => `${t.done ? "[x]" : "[ ]"} ${t.id}. ${t.title}${t.due ? ` (due ${t.due})` : ""}`)
      .join("\n");
  }
}

module.exports = { TodoList, TodoError, PRIORITIES };
