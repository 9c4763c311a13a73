// A stable fingerprint of an event body, so a replay (same seq, same body) is told apart from
// a conflict (same seq, another body). Key order does not matter; values do.
import { hash } from 'node:crypto';

// Written as plain loops: this runs once per ingested event. Keys are sorted by UTF-16 code
// unit, as the original comparator did, so stored hashes stay valid.
function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (canonical(value[i]) ?? '');
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedInPlace(Object.keys(record));
  let out = '{';
  for (const key of keys) {
    const entry = record[key];
    if (entry === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonical(entry)}`;
  }
  return `${out}}`;
}

/**
 * The same order as `keys.sort()` (by UTF-16 code unit), by insertion: an event has a handful
 * of keys, and the built-in sort allocates work space on every call, once per event.
 */
function sortedInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * 64 bits of SHA-256 over the canonical JSON, as 16 hex characters. The one-shot `hash` is a
 * fraction of the cost of a Hash object for inputs this small.
 */
export function eventHash(body: unknown): string {
  return hash('sha256', canonical(body) ?? '', 'hex').slice(0, 16);
}
