/**
 * Helpers for the tests that run against a real Slurm cluster (the one
 * scripts/slurm/start-local-cluster.sh starts). Every Slurm command runs
 * under a deadline: sinfo and squeue block for long when a daemon is down.
 */
import {execFile} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

import type {WorkspaceRig} from '../rig/workspace-rig.js';

/** Runs a command; resolves with its stdout, or undefined on any failure. */
function quietly(
  command: string,
  args: readonly string[],
  timeoutMs = 5000,
): Promise<string | undefined> {
  return new Promise((settle) => {
    execFile(
      command,
      [...args],
      {timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8'},
      (err, stdout) => settle(err === null ? stdout : undefined),
    );
  });
}

/**
 * Why the cluster tests cannot run here, or undefined when a node answers
 * and is ready to take jobs.
 */
export async function clusterProblem(): Promise<string | undefined> {
  const states = await quietly('sinfo', ['-h', '-o', '%t']);
  if (states === undefined) {
    return 'no Slurm cluster: `sinfo` is missing or did not answer within 5 s (start one with scripts/slurm/start-local-cluster.sh)';
  }
  const ready = states
    .split('\n')
    .some((s) => /^(idle|mix|alloc|comp)/.test(s.trim()));
  return ready
    ? undefined
    : `no Slurm node is ready (sinfo says: ${states.trim() || 'nothing'})`;
}

/** The Slurm job ids the head recorded in the workspace's job logs. */
export function slurmIds(rig: WorkspaceRig): string[] {
  const dir = rig.path('.neuromake/logs');
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const ids = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/Slurm job (\d+)/g)) {
      if (match[1] !== undefined) ids.add(match[1]);
    }
  }
  return [...ids].sort((a, b) => Number(a) - Number(b));
}

/** id → state of each of `ids` that Slurm still lists (squeue -t all). */
export async function slurmStates(
  ids: readonly string[],
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (ids.length === 0) return states;
  const out = await quietly('squeue', [
    '-h',
    '-t',
    'all',
    '-j',
    ids.join(','),
    '-o',
    '%i %T',
  ]);
  for (const line of (out ?? '').split('\n')) {
    const [id, state] = line.trim().split(' ');
    if (id !== undefined && state !== undefined) states.set(id, state);
  }
  return states;
}

/** The jobs of `ids` that are still queued or running (plain squeue). */
export async function activeJobs(ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const out = await quietly('squeue', ['-h', '-j', ids.join(','), '-o', '%i']);
  return (out ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * Processes of group `pgid` that are still alive. Zombies do not count: a
 * killed job's children are reparented to pid 1, which in a container may
 * never reap them, yet they can no longer write anything.
 */
export function liveInGroup(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z')
      live.push(Number(entry));
  }
  return live;
}
