import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {test} from 'node:test';

import {loadPipelineText} from '../../src/pipeline/load-pipeline.js';

/** The repository root (tests run from dist/test/…). */
const ROOT = new URL('../../../', import.meta.url);

/**
 * The pipelines the README and docs/ show whole: ```yaml blocks with a
 * top-level `steps:` and no `...` standing for left-out keys. Cluster
 * profiles (`# cluster.yaml`) are another format.
 */
function wholeExamples(): {where: string; text: string}[] {
  const files = [
    'README.md',
    ...readdirSync(new URL('docs/', ROOT)).map((f) => `docs/${f}`),
  ].filter((f) => f.endsWith('.md'));
  const examples: {where: string; text: string}[] = [];
  for (const file of files) {
    const text = readFileSync(new URL(file, ROOT), 'utf8');
    for (const block of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      const yaml = block[1]!;
      if (!/^steps:/m.test(yaml) || /^\s*\.\.\.\s*$/m.test(yaml)) continue;
      if (yaml.startsWith('# cluster.yaml')) continue;
      const line = text.slice(0, block.index).split('\n').length + 1;
      examples.push({where: `${file}:${line}`, text: yaml});
    }
  }
  return examples;
}

void test('every whole pipeline in the README and docs loads without errors', () => {
  const examples = wholeExamples();
  // The README's example and the reference's, at least.
  assert.ok(examples.length >= 3, `found ${examples.length}`);
  for (const {where, text} of examples) {
    const loaded = loadPipelineText('/tmp/example/pipeline.yaml', text);
    assert.ok(
      loaded.ok,
      `${where}: ${loaded.ok ? '' : loaded.error.map((d) => d.message).join('; ')}`,
    );
  }
});
