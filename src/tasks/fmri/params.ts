// Moved to ../task.js; kept until src/tasks/results/tables.ts imports
// them from there.
export {
  booleanParam,
  numberParam,
  optionalInput,
  stringParam,
} from '../task.js';
