/**
 * How `neuromake run-job` starts the line that says why a job failed on the
 * node. The head looks for it in the Slurm log, so a failure's one-line
 * message says what went wrong there ("command exited with code 1"), not
 * only that the Slurm job ended FAILED.
 */
export const RUN_JOB_FAILED_PREFIX = 'neuromake run-job: failed: ';
