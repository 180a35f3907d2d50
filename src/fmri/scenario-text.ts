import type {Table} from '../io/delimited.js';

/** The parts of one ds000212 scenario (stimuli/scenarios.csv). */
export interface Scenario {
  readonly item: string;
  readonly type: string;
  readonly background: string;
  readonly action: string;
  readonly outcome: string;
  readonly accidental: string;
  readonly intentional: string;
}

/** Indexes scenarios.csv rows by item number. */
export function scenariosByItem(table: Table): Map<string, Scenario> {
  const out = new Map<string, Scenario>();
  for (const r of table.rows) {
    const item = (r['item'] ?? '').trim();
    out.set(item, {
      item,
      type: r['type'] ?? '',
      background: r['background'] ?? '',
      action: r['action'] ?? '',
      outcome: r['outcome'] ?? '',
      accidental: r['accidental'] ?? '',
      intentional: r['intentional'] ?? '',
    });
  }
  return out;
}

/**
 * Whether a dis-task condition is an intentional version: A_PHA … E_NA are
 * accidental, F_PHI … J_NI intentional (the letter before the first "_").
 */
export function isIntentional(condition: string): boolean {
  const letter = condition.trim().toUpperCase().charAt(0);
  return letter >= 'F' && letter <= 'J';
}

/**
 * The sentences shown in one trial, in order: background, action, outcome,
 * then the accidental or intentional sentence the condition selects.
 */
export function trialSentences(s: Scenario, condition: string): string[] {
  return [
    s.background,
    s.action,
    s.outcome,
    isIntentional(condition) ? s.intentional : s.accidental,
  ];
}
