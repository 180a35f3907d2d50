import {canonicalJson} from '../util/canonical-json.js';
import type {KeyRecord} from './job-key.js';
import type {StaleReason} from './stale-reason.js';

/**
 * Lists what differs between the record a job last succeeded with and its
 * record now. Returns nothing when the records are equal.
 */
export function compareKeys(old: KeyRecord, now: KeyRecord): StaleReason[] {
  const reasons: StaleReason[] = [];
  if (old.neuromake !== now.neuromake) {
    reasons.push({
      reason: 'engine-changed',
      old: old.neuromake,
      new: now.neuromake,
    });
  }
  compareActions(old.action, now.action, reasons);

  for (const name of union(old.params, now.params)) {
    const a = old.params[name];
    const b = now.params[name];
    if (canonicalJson(a) !== canonicalJson(b)) {
      reasons.push({reason: 'param-changed', name, old: a, new: b});
    }
  }

  const oldGlobals = old.globals ?? {};
  for (const name of union(oldGlobals, now.globals)) {
    const a = oldGlobals[name];
    const b = now.globals[name];
    if (canonicalJson(a) !== canonicalJson(b)) {
      reasons.push({reason: 'global-param-changed', name, old: a, new: b});
    }
  }

  for (const name of union(old.inputs, now.inputs)) {
    const a = new Map(old.inputs[name] ?? []);
    const b = new Map(now.inputs[name] ?? []);
    const added = [...b.keys()].filter((p) => !a.has(p));
    const removed = [...a.keys()].filter((p) => !b.has(p));
    if (added.length > 0 || removed.length > 0) {
      reasons.push({reason: 'input-list-changed', name, added, removed});
    } else {
      // Note: the maps above forget order and repeats, which a task that
      // concatenates its inputs sees; compare the lists as written too.
      const before = (old.inputs[name] ?? []).map(([p]) => p);
      const after = (now.inputs[name] ?? []).map(([p]) => p);
      if (before.join('\0') !== after.join('\0')) {
        reasons.push({
          reason: 'input-order-changed',
          name,
          old: before,
          new: after,
        });
      }
    }
    for (const [path, hash] of b) {
      const before = a.get(path);
      if (before !== undefined && before !== hash) {
        reasons.push({
          reason: 'input-changed',
          name,
          path,
          old: before,
          new: hash,
        });
      }
    }
  }

  for (const name of union(old.outputs, now.outputs)) {
    if (old.outputs[name] !== now.outputs[name]) {
      reasons.push({
        reason: 'output-moved',
        name,
        old: old.outputs[name],
        new: now.outputs[name],
      });
    }
  }

  for (const name of union(old.env, now.env)) {
    if (old.env[name] !== now.env[name]) {
      reasons.push({
        reason: 'env-changed',
        name,
        old: old.env[name],
        new: now.env[name],
      });
    }
  }
  return reasons;
}

function compareActions(
  old: KeyRecord['action'],
  now: KeyRecord['action'],
  reasons: StaleReason[],
): void {
  if (old.kind === 'task' && now.kind === 'task') {
    if (old.name !== now.name) {
      reasons.push({
        reason: 'action-changed',
        old: `task ${old.name}`,
        new: `task ${now.name}`,
      });
    } else if (old.version !== now.version) {
      reasons.push({
        reason: 'code-changed',
        task: now.name,
        old: old.version,
        new: now.version,
      });
    }
    return;
  }
  if (old.kind === 'shell' && now.kind === 'shell') {
    if (old.command !== now.command) {
      reasons.push({
        reason: 'command-changed',
        old: old.command,
        new: now.command,
      });
    }
    for (const path of union(old.scripts, now.scripts)) {
      if (old.scripts[path] !== now.scripts[path]) {
        reasons.push({
          reason: 'script-changed',
          path,
          old: old.scripts[path],
          new: now.scripts[path],
        });
      }
    }
    return;
  }
  reasons.push({
    reason: 'action-changed',
    old: old.kind === 'task' ? `task ${old.name}` : 'a shell command',
    new: now.kind === 'task' ? `task ${now.name}` : 'a shell command',
  });
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
