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
