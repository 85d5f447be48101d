// A first-in first-out queue for the upload jobs.

export class Queue<T> {
  private items: T[] = [];

  enqueue(item: T): void {
    this.items.push(item);
  }

  dequeue(): T | undefined {
    return this.items.shift();
  }

  get size(): number {
    return this.items.length;
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  clear(): void {
    this.items = [];
  }
}

export function drain<T>(queue: Queue<T>): T[] {
  const out: T[] = [];
  let item = queue.dequeue();
  while (item !== undefined) {
    out.push(item);
    item = queue.dequeue();
  }
  return out;
}
