import {mkdir, rename, writeFile} from 'node:fs/promises';
import {dirname, relative, resolve} from 'node:path';

import {buildReport} from '../report/build-report.js';
import {EXIT, type CliIo} from './cli-io.js';
import type {LoadedPipeline} from './load-graph.js';

/** Where the report goes unless `-o` says otherwise (workspace-relative). */
const DEFAULT_REPORT = 'out/report.html';

/**
 * `neuromake report [-o FILE]`: writes the pipeline's HTML report (see
 * docs/report.md). Runs nothing; reads the state DB, the graph and the
 * declared outputs. The file is written beside itself and renamed, so a
 * browser that has it open never sees half a page.
 */
export async function reportCommand(
  loaded: LoadedPipeline,
  output: string | undefined,
  io: CliIo,
): Promise<number> {
  const target = resolve(
    output === undefined
      ? resolve(loaded.spec.workspace, DEFAULT_REPORT)
      : output,
  );
  const name = relative(process.cwd(), loaded.spec.file) || loaded.spec.file;
  const page = await buildReport(loaded, name);
  await mkdir(dirname(target), {recursive: true});
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, page);
  await rename(temp, target);
  io.stdout.write(`wrote ${relative(process.cwd(), target) || target}\n`);
  return EXIT.ok;
}
