import assert from 'node:assert/strict';
import {readdirSync} from 'node:fs';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';

import {findTask, taskNames} from '../../src/tasks/registry.js';
import type {TaskDefinition} from '../../src/tasks/task.js';

// The registry lists names and module paths by hand, so that no module
// loads before it is needed: check the list against the modules.
void test('each registered name is the one its module declares', async () => {
  const names = taskNames();
  assert.ok(names.length > 0, 'no task is registered');
  for (const name of names) {
    const task = findTask(name)!;
    const imported = (await import(task.moduleUrl.href)) as {
      default: TaskDefinition;
    };
    assert.equal(imported.default.name, name);
    // Loaded lazily, the definition is the very module's export.
    assert.equal(task.definition, imported.default);
  }
});

void test('every task module in src/tasks is registered', async () => {
  const root = new URL('../../src/tasks/', import.meta.url);
  const modules: string[] = [];
  for (const dir of readdirSync(root, {withFileTypes: true})) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(new URL(`${dir.name}/`, root))) {
      if (!file.endsWith('.js')) continue;
      const url = pathToFileURL(`${root.pathname}${dir.name}/${file}`);
      const module = (await import(url.href)) as {default?: unknown};
      const definition = module.default as Partial<TaskDefinition> | undefined;
      if (typeof definition?.run !== 'function') continue;
      const task = findTask(definition.name ?? '');
      assert.ok(task !== undefined, `${dir.name}/${file} is not registered`);
      assert.equal(task.moduleUrl.href, url.href);
      modules.push(definition.name ?? '');
    }
  }
  // And every registered name has a module here: the list is exact.
  assert.deepEqual(modules.sort(), taskNames());
});
