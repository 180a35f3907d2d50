import {writeFile} from 'node:fs/promises';

import {
  scenariosByItem,
  trialSentences,
  type Scenario,
} from '../../fmri/scenario-text.js';
import {
  DEFAULT_SAMPLING,
  SAMPLING_METHODS,
  averageRows,
  planSamples,
  type SamplingMethod,
} from '../../fmri/tr-sampling.js';
import {bidsEntities, parseEvents} from '../../io/bids-events.js';
import {readTable} from '../../io/delimited.js';
import {FormatError} from '../../io/format-error.js';
import {readNpy, writeNpy} from '../../io/npy.js';
import {readSidecar, sidecarTr} from '../../io/nifti-time.js';
import {
  booleanParam,
  numberParam,
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';

/**
 * True when a sidecar says its run was generated (synth.bold writes
 * `"Synthetic": true`), so that every sample can carry the flag onward.
 */
function isSynthetic(json: unknown): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    (json as Record<string, unknown>)['Synthetic'] === true
  );
}

/** Takes one fMRI vector per event (or sentence) from parcel series. */
const sample: TaskDefinition = {
  name: 'fmri.sample',
  description:
    'Sample parcel series at the events of a run (AVG, LAST, MIDDLE or SENTENCES, with a haemodynamic lag): float32 .npy [N, K] + JSONL metadata (subject, run, event, condition, item, key, RT, scenario text).',
  inputs: {
    series: {
      description:
        'Parcel series .npy [T, K] (fmri.project or fmri.import-pyd).',
    },
    events: {description: 'The BIDS events.tsv of the run.'},
    sidecar: {
      description: 'BIDS _bold.json or a series sidecar with RepetitionTime.',
      optional: true,
    },
    scenarios: {
      description: 'stimuli/scenarios.csv, for the text of each trial.',
      optional: true,
    },
  },
  outputs: {
    samples: {description: 'float32 .npy [N, K].'},
    metadata: {description: 'JSONL, one row per sample, in the same order.'},
  },
  params: {
    method: {
      type: 'string',
      description: 'Sampling method.',
      default: 'LAST',
      enum: [...SAMPLING_METHODS],
    },
    lag: {
      type: 'number',
      description: 'Haemodynamic lag, seconds.',
      default: 6,
    },
    sentence_durations: {
      type: 'array',
      description: 'Sentence durations for SENTENCES, seconds.',
      default: [6, 4, 4, 4],
    },
    study_indices: {
      type: 'boolean',
      description: "Reproduce the study's non-cumulative SENTENCES offsets.",
      default: false,
    },
    tr: {
      type: 'number',
      description: 'TR in seconds when no sidecar is given (0 = require one).',
      default: 0,
    },
    subject: {
      type: 'string',
      description: 'Subject label; default from the events file name.',
      default: '',
    },
    run: {
      type: 'string',
      description: 'Run label; default from the events file name.',
      default: '',
    },
  },
  async run(context) {
    const seriesFile = singleInput(context, 'series');
    const eventsFile = singleInput(context, 'events');
    const sidecar = optionalInput(context, 'sidecar');
    const scenariosFile = optionalInput(context, 'scenarios');
    const method = stringParam<SamplingMethod>(
      context,
      'method',
      'LAST',
      SAMPLING_METHODS,
    );
    const durations =
      context.params['sentence_durations'] ??
      DEFAULT_SAMPLING.sentenceDurations;
    if (
      !Array.isArray(durations) ||
      !durations.every((d) => typeof d === 'number' && d > 0)
    ) {
      throw new TaskInputError(
        'param "sentence_durations" must be a list of positive numbers',
      );
    }
    let tr = numberParam(context, 'tr', 0);
    let synthetic = false;
    if (sidecar !== undefined) {
      const json = await readSidecar(sidecar);
      tr = sidecarTr(json, sidecar);
      synthetic = isSynthetic(json);
    }
    if (!(tr > 0))
      throw new TaskInputError(
        'no TR: give a sidecar input or a positive "tr" param',
      );
    const entities = bidsEntities(eventsFile);
    const subject =
      stringParam<string>(context, 'subject', '') ||
      `sub-${entities['sub'] ?? 'unknown'}`;
    const run =
      stringParam<string>(context, 'run', '') || (entities['run'] ?? '');
    const series = await readNpy(seriesFile);
    const [frames = 0, k = 0] = series.shape;
    if (series.shape.length !== 2) {
      throw new FormatError(
        seriesFile,
        'shape',
        `is (${series.shape.join(', ')}), expected [T, K]`,
      );
    }
    // A NaN frame would pass into every sample that averages over it.
    const bad = series.data.findIndex((x) => !Number.isFinite(x));
    if (bad !== -1) {
      throw new FormatError(
        seriesFile,
        'data',
        `NaN or infinite value at frame ${Math.floor(bad / k)}, parcel ${bad % k}; project the run again from a BOLD file without such values, or clean the series`,
      );
    }
    const events = parseEvents(await readTable(eventsFile), eventsFile);
    const scenarios =
      scenariosFile === undefined
        ? undefined
        : scenariosByItem(await readTable(scenariosFile));
    const plan = planSamples(events, frames, {
      method,
      tr,
      lag: numberParam(context, 'lag', 6),
      sentenceDurations: durations as number[],
      studyIndices: booleanParam(context, 'study_indices', false),
    });
    if (events.length > 0 && plan.samples.length === 0) {
      // Not one trial fits: the TR is likely wrong (ms for s, say) or the
      // series is not this run's; an empty sample file would silently drop
      // the run from the dataset.
      const first = Math.min(...events.map((e) => e.onset));
      throw new TaskInputError(
        `every one of the ${events.length} events in ${eventsFile} (the first at ${first} s) has its window past the end of ${seriesFile}: ${frames} volumes at TR ${tr} s cover ${frames * tr} s; check the TR (${sidecar === undefined ? 'param "tr"' : `from ${sidecar}`}) and that the series belongs to this run`,
      );
    }
    if (plan.skipped.length > 0) {
      context.warn(
        `${eventsFile}: ${plan.skipped.length} of ${events.length} events skipped, their window runs past the ${frames} volumes of ${seriesFile}`,
      );
    }
    const out = new Float32Array(plan.samples.length * k);
    const lines: string[] = [];
    let missingText = 0;
    for (const [n, s] of plan.samples.entries()) {
      averageRows(series.data, k, s.volumes, out, n * k);
      const e = events[s.event]!;
      const scenario: Scenario | undefined = scenarios?.get(e.item.trim());
      let text: string | null = null;
      if (scenario !== undefined) {
        const sentences = trialSentences(scenario, e.condition);
        text =
          s.sentence === undefined
            ? sentences.join(' ')
            : (sentences[s.sentence - 1] ?? null);
      } else if (scenarios !== undefined) missingText++;
      lines.push(
        JSON.stringify({
          subject,
          run,
          event: s.event,
          ...(s.sentence === undefined ? {} : {sentence: s.sentence}),
          onset: e.onset,
          condition: e.condition,
          item: e.item,
          key: e.key,
          RT: Number.isFinite(e.rt) ? e.rt : null,
          no_response: e.key === 0,
          method,
          volumes: s.volumes,
          text,
          ...(synthetic ? {synthetic: true} : {}),
        }),
      );
    }
    if (missingText > 0)
      context.warn(
        `${missingText} samples have an item missing from ${scenariosFile ?? ''}`,
      );
    const flagged = events.filter((e) => e.key === 0).length;
    if (flagged > 0)
      context.log(
        `${flagged} events without a response (key 0) kept and flagged`,
      );
    await writeNpy(outputPath(context, 'samples'), out, [
      plan.samples.length,
      k,
    ]);
    await writeFile(
      outputPath(context, 'metadata'),
      lines.map((l) => l + '\n').join(''),
    );
  },
};

export default sample;
