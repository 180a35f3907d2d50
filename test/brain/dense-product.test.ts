import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Worker} from 'node:worker_threads';

import {multiply, multiplyJs} from '../../src/brain/dense-product.js';
import {maxAbsDiff, normalMatrix} from './helpers.js';

void test('multiply (onnxruntime for large products) equals the JS loop', async () => {
  const [r, k, c] = [64, 300, 200];
  const a = normalMatrix(r, k, 'ma');
  const b = normalMatrix(k, c, 'mb');
  const fast = await multiply(a, b, r, k, c);
  assert.ok(maxAbsDiff(fast, multiplyJs(a, b, r, k, c)) < 1e-10);
  await assert.rejects(multiply(a, b, r, k + 1, c), /given/);
});

void test('onnxruntime MatMul loads inside a worker thread (as tasks run)', async () => {
  const url = new URL('../../src/fmri/ort-matmul.js', import.meta.url).href;
  const code = `
    import {parentPort} from 'node:worker_threads';
    const {ortMatmul} = await import(${JSON.stringify(url)});
    const a = Float64Array.from({length: 6}, (_, i) => i + 1);
    const b = Float64Array.from({length: 6}, (_, i) => 6 - i);
    const c = await ortMatmul(a, 2, b, 3, 2);
    parentPort.postMessage(c === undefined ? null : Array.from(c));`;
  const worker = new Worker(code, {eval: true});
  const result = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  // [[1,2,3],[4,5,6]]·[[6,5],[4,3],[2,1]] by hand.
  assert.deepEqual(result, [
    1 * 6 + 2 * 4 + 3 * 2,
    1 * 5 + 2 * 3 + 3 * 1,
    4 * 6 + 5 * 4 + 6 * 2,
    4 * 5 + 5 * 3 + 6 * 1,
  ]);
});
