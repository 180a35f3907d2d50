import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {TestContext} from 'node:test';

import type {WorkspaceRig} from './workspace-rig.js';

/** The subjects of the standard fan-out. */
const SUBJECTS = ['a', 'b', 'c'] as const;

/**
 * The standard fan-out: `in/{s}.txt` → up[s] → post[s] → all (a gather of
 * every post). Each step is a counted `fake.sh` named after the step.
 */
export function fanOut(
  rig: WorkspaceRig,
  subjects: readonly string[] = SUBJECTS,
): string {
  for (const s of subjects) rig.write(`in/${s}.txt`, `subject ${s}\n`);
  return rig.pipeline(
    'steps:',
    '  up:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.up"}',
    '    shell: "sh tools/fake.sh up {outputs.out} {inputs.src}"',
    '  post:',
    '    for_each: {step: up}',
    '    inputs: {src: "out/{s}.up"}',
    '    outputs: {out: "out/{s}.post"}',
    '    shell: "sh tools/fake.sh post {outputs.out} {inputs.src}"',
    '  all:',
    '    inputs: {parts: {from: post, output: out}}',
    '    outputs: {out: "out/all.txt"}',
    '    shell: "sh tools/fake.sh all {outputs.out} {inputs.parts}"',
  );
}

/** Every output of the standard fan-out. */
export function fanOutOutputs(
  subjects: readonly string[] = SUBJECTS,
): string[] {
  return [
    ...subjects.flatMap((s) => [`out/${s}.up`, `out/${s}.post`]),
    'out/all.txt',
  ];
}

/**
 * A step of `count` span.sh jobs (matrix i = 1…count), all recording into
 * the spans file `spans`; `resources` is the step's resources value.
 */
export function spanStep(
  id: string,
  count: number,
  seconds: number,
  resources?: string,
): string[] {
  const values = Array.from({length: count}, (_, i) => i + 1).join(', ');
  return [
    `  ${id}:`,
    `    for_each: {matrix: {i: [${values}]}}`,
    `    outputs: {out: "${id}/{i}.txt"}`,
    ...(resources === undefined ? [] : [`    resources: ${resources}`]),
    `    shell: "sh tools/span.sh spans {outputs.out} ${seconds}"`,
  ];
}

/** An empty temporary directory, removed when the test ends. */
export function scratchDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nm-${prefix}-`));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  return dir;
}
