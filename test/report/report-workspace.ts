/**
 * A small workspace for the report's end-to-end tests: shell steps, the
 * built-in fmri.mask on a tiny generated BOLD run, and synth.atlas, plus
 * deliberately hostile strings (a job id and a param that look like
 * markup, an SVG that tries to run script) to prove the page escapes them.
 */
import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';

import {writeNifti1} from '../../src/io/nifti-write.js';
import type {WorkspaceRig} from '../rig/workspace-rig.js';

/** A matrix value that becomes part of a job id: markup if not escaped. */
export const HOSTILE_ID = '<img src=x onerror=window.__pwned=1>';
/** A param value: a script element if not escaped. */
export const HOSTILE_PARAM = '<script>window.__pwned=2</script>';
/** A table cell. */
export const HOSTILE_CELL = '<b onmouseover=window.__pwned=3>x</b>';

/** An SVG plot that would set window.__pwned if its script ever ran. */
const HOSTILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" onload="window.__pwned=4">
<script>window.__pwned=5</script>
<rect width="240" height="120" fill="#eef"/>
<polyline points="10,110 60,70 110,50 160,35 230,30" fill="none" stroke="#36c" stroke-width="3"/>
<text x="12" y="18" font-size="13">loss by epoch</text>
</svg>
`;

const TABLE_MD = `# ETHICS accuracy (fixture)

| model | order | accuracy |
|---|---|---|
| untrained-bert | fMRI → ETHICS | 0.51 ± 0.02 |
| untrained-bert | ${HOSTILE_CELL} | 0.50 \\| 0.49 |
`;

/** A 4D BOLD run: a bright ellipsoid in a dim box, 4 volumes. */
async function writeBold(file: string): Promise<void> {
  mkdirSync(dirname(file), {recursive: true});
  const [nx, ny, nz, nt] = [20, 24, 10, 4];
  const data = new Int16Array(nx * ny * nz * nt);
  for (let t = 0; t < nt; t++) {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const r =
            ((x - 9.5) / 7) ** 2 + ((y - 11.5) / 9) ** 2 + ((z - 4.5) / 4) ** 2;
          data[x + nx * (y + ny * (z + nz * t))] = r < 1 ? 900 + t : 20;
        }
      }
    }
  }
  await writeNifti1(file, {
    shape: [nx, ny, nz, nt],
    affine: [3, 0, 0, -30, 0, 3, 0, -36, 0, 0, 4, -20, 0, 0, 0, 1],
    data,
    timeStep: 2,
    descrip: 'report test fixture (not synthetic by any task)',
    gzip: true,
  });
}

/** Writes the pipeline and its inputs into `rig`'s workspace. */
export async function reportWorkspace(rig: WorkspaceRig): Promise<void> {
  await writeBold(rig.path('in/bold.nii.gz'));
  rig.write('fixtures/curves.svg', HOSTILE_SVG);
  rig.write('fixtures/table.md', TABLE_MD);
  rig.write('fixtures/table.csv', `metric,value\nmse,0.25\nnote,"a, b"\n`);
  rig.pipeline(
    'steps:',
    '  greet:',
    '    task: files.write',
    '    params: {text: "hello\\n"}',
    '    outputs: {out: out/greet.txt}',
    '  part:',
    '    for_each:',
    `      matrix: {name: ['plain', '${HOSTILE_ID}']}`,
    '    inputs: {src: out/greet.txt}',
    '    outputs: {out: "out/parts/{name}.txt"}',
    `    params: {note: '${HOSTILE_PARAM}'}`,
    '    shell: "sh tools/fake.sh part {outputs.out} {inputs.src}"',
    '  mask:',
    '    task: fmri.mask',
    '    inputs: {bold: in/bold.nii.gz}',
    '    outputs: {mask: out/mask.nii.gz, report: out/mask.json}',
    '    params: {opening: 0}',
    '  atlas:',
    '    task: synth.atlas',
    '    outputs: {atlas: out/atlas.nii.gz, labels: out/atlas.json}',
    '    params: {parcels: 12, voxel_size: 8}',
    '  curves:',
    '    inputs: {parts: {from: part, output: out}, svg: fixtures/curves.svg}',
    '    outputs: {plot: out/curves.svg}',
    '    shell: "cp {inputs.svg} {outputs.plot}"',
    '  summarise:',
    '    inputs:',
    '      parts: {from: part, output: out}',
    '      md: fixtures/table.md',
    '      csv: fixtures/table.csv',
    '    outputs: {table: out/tables/summary.md, tables_csv: out/tables/summary.csv}',
    '    shell: "cp {inputs.md} {outputs.table} && cp {inputs.csv} {outputs.tables_csv}"',
  );
}
