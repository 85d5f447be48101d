// Number helpers for the dashboard charts.

export function sum(values) {
  return values.reduce((total, value) => total + value, 0);
}

export function average(values) {
  if (values.length === 0) {
    return 0;
  }
  return sum(values) / values.length;
}

export function clamp(value, min, max) {
  return Math.min(Math.max(value, min), max);
}

export function roundTo(value, digits = 2) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
