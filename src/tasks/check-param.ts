import type {ParamSpec} from './task.js';

/**
 * Checks a value against a task's param spec; returns what is wrong, phrased
 * as what was expected, or undefined when the value fits.
 */
export function checkParamValue(
  spec: ParamSpec,
  value: unknown,
): string | undefined {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return `must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`;
      }
      if (spec.type === 'integer' && !Number.isInteger(value)) {
        return `must be an integer, got ${value}`;
      }
      if (spec.minimum !== undefined && value < spec.minimum) {
        return `must be at least ${spec.minimum}, got ${value}`;
      }
      if (spec.maximum !== undefined && value > spec.maximum) {
        return `must be at most ${spec.maximum}, got ${value}`;
      }
      return undefined;
    }
    case 'string':
      if (typeof value !== 'string') {
        return `must be a string, got ${describe(value)}`;
      }
      if (spec.enum !== undefined && !spec.enum.includes(value)) {
        return `must be one of ${spec.enum.join(', ')}, got "${value}"`;
      }
      return undefined;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `must be true or false, got ${describe(value)}`;
    case 'array':
      return Array.isArray(value)
        ? undefined
        : `must be a list, got ${describe(value)}`;
    case 'object':
      return value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value)
        ? undefined
        : `must be a mapping, got ${describe(value)}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : typeof value;
}
