import assert from 'node:assert/strict';
import {test} from 'node:test';

import {shellWords} from '../../src/execution/render-command.js';

void test('shellWords splits as sh does, quotes joining words', () => {
  const cases: [string, string[]][] = [
    ['python3 scripts/fit.py --x 1', ['python3', 'scripts/fit.py', '--x', '1']],
    ["sh 'my gen.sh' out.txt", ['sh', 'my gen.sh', 'out.txt']],
    ['sh "a b.sh";cat x|wc', ['sh', 'a b.sh', 'cat', 'x', 'wc']],
    ['sh my\\ gen.sh', ['sh', 'my gen.sh']],
    ['echo "a\\"b" \'c\\d\'', ['echo', 'a"b', 'c\\d']],
    ['echo "x\\y"', ['echo', 'x\\y']],
    ['a\'b\'"c" d', ['abc', 'd']],
  ];
  for (const [command, words] of cases) {
    assert.deepEqual(
      shellWords(command).filter((w) => w !== ''),
      words,
      command,
    );
  }
});
