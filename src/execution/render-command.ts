import {resolve} from 'node:path';

import {probeKind, UNRECORDED, type Probe} from '../cache/fs-probes.js';
import type {Job} from '../graph/job.js';
import {valueText} from '../graph/resolve-values.js';
import {parseTemplate, renderTemplate} from '../pipeline/template.js';
import {shellQuote} from '../util/shell-quote.js';

/**
 * Renders a shell step's command for one job. `outputPath` maps an output
 * name to the path the command should write: the final path for the cache
 * key, the temporary one for the real run, so the key never depends on the
 * random temporary name.
 */
export function renderCommand(
  job: Job,
  globalParams: ReadonlyMap<string, {value: unknown}>,
  outputPath: (name: string) => string | undefined,
): string {
  if (job.step.action.kind !== 'shell') {
    throw new Error(`Internal error: ${job.id} is not a shell step`);
  }
  const parsed = parseTemplate(job.step.action.command.value);
  if (!parsed.ok) {
    throw new Error(`Internal error: unvalidated command in ${job.id}`);
  }
  const rendered = renderTemplate(parsed.parts, (ref) => {
    switch (ref.kind) {
      case 'wildcard': {
        const v = job.bindings.get(ref.name);
        return v === undefined ? undefined : shellQuote(String(v));
      }
      case 'params': {
        // Note: a step's own param wins even when it is null (written
        // `name:` with no value), as in paths and task params.
        const own = job.params[ref.name];
        const v = own !== undefined ? own : globalParams.get(ref.name)?.value;
        return v === undefined
          ? undefined
          : shellQuote(valueText(v as Parameters<typeof valueText>[0]));
      }
      case 'inputs':
        return job.inputs.get(ref.name)?.paths.map(shellQuote).join(' ');
      case 'outputs': {
        const p = outputPath(ref.name);
        return p === undefined ? undefined : shellQuote(p);
      }
    }
  });
  if (!rendered.ok) {
    throw new Error(`Internal error: unresolved reference in ${job.id}`);
  }
  return rendered.text;
}

/**
 * TODO(#2): a file the job writes and then runs (`cc -o build/prog x.c &&
 * ./build/prog`) is taken for a script, so its changing content reruns the
 * job every time; telling such files apart needs a record of what a job
 * wrote besides its outputs. Scripts after `cd DIR` are not followed, as
 * doing so made every job that builds in DIR such a case.
 *
 * Scripts a command names that are not declared inputs or outputs, such as
 * `python3 scripts/fit.py`: existing files with a script's extension, or
 * executable ones. Their content joins the job's key, so editing the script
 * reruns the job. Other files a command happens to name (a log it appends
 * to) are left out, or every run would see them changed.
 */
export function scriptsNamed(
  command: string,
  job: Job,
  workspace: string,
  probe: Probe = UNRECORDED,
): string[] {
  const declared = declaredPaths(job);
  const scripts = new Set<string>();
  for (const word of commandWords(command)) {
    if (word === '' || declared.has(word) || !/[./]/.test(word)) continue;
    if (word.startsWith('-')) continue;
    const kind = probeKind(probe.stat(resolve(workspace, word)));
    if (
      kind === 'executable' ||
      (kind === 'file' && SCRIPT_EXTENSION.test(word))
    ) {
      scripts.add(word);
    }
  }
  return [...scripts].sort();
}

/**
 * Words of a command that name a script by its extension, whether or not
 * the file exists yet (watch mode watches for it to appear).
 */
export function scriptCandidates(command: string, job: Job): string[] {
  const declared = declaredPaths(job);
  return commandWords(command).filter(
    (word) =>
      word !== '' &&
      !word.startsWith('-') &&
      !declared.has(word) &&
      SCRIPT_EXTENSION.test(word),
  );
}

/** A job's declared input and output paths: never taken for scripts. */
function declaredPaths(job: Job): Set<string> {
  const declared = new Set<string>(job.outputs.values());
  for (const input of job.inputs.values()) {
    for (const p of input.paths) declared.add(p);
  }
  return declared;
}

/**
 * The words of a command and of the commands it quotes: `sh -c 'sh
 * tools/x.sh'` and `bash -c "set -e; python3 fit.py"` name their scripts
 * inside one quoted word. A quoted word holding a space or a separator is
 * kept whole (it may be a file name with a space) and split again as a
 * command of its own, a few levels deep.
 */
export function commandWords(command: string, depth = 3): string[] {
  const words = shellWords(command);
  if (depth === 0) return words;
  const nested: string[] = [];
  for (const word of words) {
    if (SEPARATOR.test(word)) nested.push(...commandWords(word, depth - 1));
  }
  return nested.length === 0 ? words : [...words, ...nested];
}

/** Characters that end a word outside quotes, as sh reads them. */
const SEPARATOR = /[\s;|&()<>`]/;

/**
 * The words of a command roughly as sh splits them: quotes join what they
 * hold (`sh 'my gen.sh'` names one file) and are dropped, a backslash
 * escapes the next character. No expansion: `$x` stays as written.
 */
export function shellWords(command: string): string[] {
  // Most commands have no quoting at all: one split does.
  if (!/['"\\]/.test(command)) return command.split(/[\s;|&()<>`]+/);
  const words: string[] = [];
  let word = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < command.length) {
      const next = command[++i]!;
      // Inside double quotes a backslash escapes only these.
      if (quote === '"' && !'$`"\\\n'.includes(next)) word += c;
      word += next;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (SEPARATOR.test(c)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += c;
    }
  }
  if (word !== '') words.push(word);
  return words;
}

const SCRIPT_EXTENSION =
  /\.(py|sh|bash|zsh|r|jl|js|mjs|cjs|ts|pl|rb|m|awk|sed|lua|ipynb|mk)$/i;
