/**
 * The study's training orders, as sequences of stages. A stage trains the
 * shared adapter and the head(s) of its task; the next stage starts from
 * the weights the previous one left (with a fresh optimiser, as the study
 * ran each stage as its own training run).
 */

/** The orders `model.heads` accepts. */
export const ORDERS = [
  'ethics',
  'fmri',
  'joint',
  'ethics_fmri',
  'fmri_ethics',
] as const;
export type Order = (typeof ORDERS)[number];

/** What one stage trains on. */
export type StageTask = 'ethics' | 'fmri' | 'joint';

/** One stage of an order. */
export interface Stage {
  readonly task: StageTask;
  readonly epochs: number;
}

/** Epochs per stage kind; the study's: ETHICS 15, fMRI 55, joint 7. */
export interface StageEpochs {
  readonly ethics: number;
  readonly fmri: number;
  readonly joint: number;
}

/** The study's epoch counts (ETHICS → fMRI was 15 then 55, and so on). */
export const STUDY_EPOCHS: StageEpochs = {ethics: 15, fmri: 55, joint: 7};

/** The stages of `order`. */
export function stagesOf(order: Order, epochs: StageEpochs): Stage[] {
  const s = (task: StageTask): Stage => ({task, epochs: epochs[task]});
  switch (order) {
    case 'ethics':
      return [s('ethics')];
    case 'fmri':
      return [s('fmri')];
    case 'joint':
      return [s('joint')];
    case 'ethics_fmri':
      return [s('ethics'), s('fmri')];
    case 'fmri_ethics':
      return [s('fmri'), s('ethics')];
  }
}

/** Whether an order trains on fMRI at all (its sampling method matters). */
export function orderUsesFmri(order: string): boolean {
  return order !== 'ethics' && order !== 'none' && order !== '';
}

/** The study's names for the orders (tables), `none` = not fine-tuned. */
export const ORDER_LABELS: Readonly<Record<string, string>> = {
  none: 'None',
  ethics: 'ETHICS',
  fmri: 'fMRI',
  joint: 'ETHICS ↔ fMRI',
  ethics_fmri: 'ETHICS → fMRI',
  fmri_ethics: 'fMRI → ETHICS',
};

/** Table row order: the study's, then anything else alphabetically. */
export function compareOrders(a: string, b: string): number {
  const known = ['none', ...ORDERS] as string[];
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
