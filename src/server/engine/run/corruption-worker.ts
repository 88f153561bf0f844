// A corruption worker thread (started by corruption-pool.ts; bundled as dist/corruption-worker.js). Each request
// is a task posted to every worker of the pool: the worker claims it in the shared claim slots and skips it
// (without a reply) when another thread was first. It applies one corruption at one severity to the task's
// images through applyCorruption, so every image is seeded by (run seed, corruption, severity, sample id) exactly
// as in the main thread; when asked, it also preprocesses them into the model's input rows (shared memory). The
// corrupted images go back packed in one SharedArrayBuffer (never transferred: see
// below); an error goes back as data (an InputError keeps its details).
import { parentPort, workerData } from 'node:worker_threads';
import { applyCorruption } from '../perturb/image/registry';
import type { Image } from '../types';
import { fillRows, packImages, packInto, toWireError, unpackImages, type CorruptionWorkerData, type CorruptReply, type CorruptRequest } from './corruption-protocol';

const port = parentPort;
if (!port) throw new Error('corruption-worker must run in a worker thread');
const { claims: claimBuffer, claimSlots } = workerData as CorruptionWorkerData;
const claims = new Int32Array(claimBuffer);

async function corrupt(request: CorruptRequest): Promise<Image[]> {
  const sources = unpackImages(request.images);
  const out: Image[] = new Array(sources.length);
  for (let i = 0; i < sources.length; i++) {
    const result: Image | Promise<Image> = applyCorruption(sources[i], request.corruption, request.severity, request.preset, request.seed, request.sampleIds[i]);
    // applyCorruption is synchronous today; an asynchronous corruption (a codec) would return a promise.
    out[i] = result instanceof Promise ? await result : result;
  }
  if (request.rows) fillRows(out, request.rows);
  return out;
}

port.on('message', (request: CorruptRequest) => {
  // Another thread claimed it first (or its caller withdrew it).
  if (Atomics.compareExchange(claims, request.id % claimSlots, request.id, 0) !== request.id) return;
  corrupt(request).then(
    (images) => {
      // Shared, not transferred: transferring detaches a buffer, and once any buffer in a thread has been
      // detached V8 guards every typed-array access in that thread (measured 1.7x slower loops for the rest of
      // its life). A SharedArrayBuffer is handed over without detaching anything.
      const packed = (request.out && packInto(images, request.images, request.out)) || packImages(images, true);
      const reply: CorruptReply = { id: request.id, ok: true, images: packed };
      port.postMessage(reply);
    },
    (error: unknown) => {
      const reply: CorruptReply = { id: request.id, ok: false, error: toWireError(error) };
      port.postMessage(reply);
    },
  );
});
