import type {LoadedPipeline} from '../cli/load-graph.js';
import {NEUROMAKE_VERSION} from '../util/version.js';
import {collectArtifacts} from './collect-artifacts.js';
import {jobStates} from './job-states.js';
import {renderReport, type ReportData} from './render-report.js';
import {readRunHistory} from './run-history.js';

/** Gathers everything the report shows for a loaded pipeline. */
async function gatherReport(
  loaded: LoadedPipeline,
  pipelineName: string,
): Promise<ReportData> {
  // History first, read-only: planning below opens the state DB for
  // writing (it may memoize hashes, as `status` does).
  const history = readRunHistory(loaded.stateDir);
  const jobs = await jobStates(loaded);
  const artifacts = await collectArtifacts(loaded.graph, loaded.spec.workspace);
  return {
    pipeline: pipelineName,
    generatedAt: new Date().toISOString(),
    version: NEUROMAKE_VERSION,
    jobs,
    history,
    artifacts,
  };
}

/** The report of a loaded pipeline, as one HTML document. */
export async function buildReport(
  loaded: LoadedPipeline,
  pipelineName: string,
): Promise<string> {
  return renderReport(await gatherReport(loaded, pipelineName));
}
