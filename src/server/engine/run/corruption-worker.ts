// A corruption worker thread (started by corruption-pool.ts; bundled as dist/corruption-worker.js). Each request
// is a batch split into tasks, posted to every worker of the pool: the worker claims each task in the shared
// claim slots and skips those another thread took first. It applies one corruption at one severity to a task's
// images through applyCorruption, so every image is seeded by (run seed, corruption, severity, sample id) exactly
// as in the main thread; when asked, it also preprocesses them into the model's input rows (shared memory). The
// corrupted images go back packed in a SharedArrayBuffer (never transferred: see below), one reply per request
// for all the tasks it ran; an error goes back as data (an InputError keeps its details). It also reads and decodes
// batches of image files when asked (decode-png-files.ts), so that the inference thread does not.
import { parentPort, workerData } from 'node:worker_threads';
import { applyCorruption } from '../perturb/image/registry';
import type { Image } from '../types';
import { decodePngFilesInto } from '../data/decode-png-files';
import { fillRows, packImages, packInto, taskImages, toWireError, unpackImages, type CorruptionWorkerData, type CorruptReply, type CorruptRequest, type DecodeReply, type DecodeRequest, type TaskResult, type WorkerRequest } from './corruption-protocol';

const port = parentPort;
if (!port) throw new Error('corruption-worker must run in a worker thread');
const { claims: claimBuffer, claimSlots } = workerData as CorruptionWorkerData;
const claims = new Int32Array(claimBuffer);

async function corrupt(request: CorruptRequest, sources: readonly Image[], from: number): Promise<Image[]> {
  const out: Image[] = new Array(sources.length);
  for (let i = 0; i < sources.length; i++) {
    const result: Image | Promise<Image> = applyCorruption(sources[i], request.corruption, request.severity, request.preset, request.seed, request.sampleIds[from + i]);
    // applyCorruption is synchronous today; an asynchronous corruption (a codec) would return a promise.
    out[i] = result instanceof Promise ? await result : result;
  }
  if (request.rows) fillRows(out, { buffer: request.rows.buffer, input: request.rows.input, from });
  return out;
}

/** Runs the tasks of the request that this thread claims, in order. */
async function run(request: CorruptRequest): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  for (let k = 0; k < request.ids.length; k++) {
    const id = request.ids[k];
    // Another thread claimed it first (or its caller withdrew it).
    if (Atomics.compareExchange(claims, id % claimSlots, id, 0) !== id) continue;
    const like = taskImages(request, k);
    try {
      const images = await corrupt(request, unpackImages(like), request.bounds[k]);
      // Shared, not transferred: transferring detaches a buffer, and once any buffer in a thread has been
      // detached V8 guards every typed-array access in that thread (measured 1.7x slower loops for the rest of
      // its life). A SharedArrayBuffer is handed over without detaching anything.
      results.push({ id, ok: true, images: (request.out && packInto(images, like, request.out)) || packImages(images, true) });
    } catch (error) {
      results.push({ id, ok: false, error: toWireError(error) });
    }
  }
  return results;
}

/** Reads and decodes the request's files (the fast PNG path only; the main thread decodes the rest). */
function decode(request: DecodeRequest): DecodeReply {
  try {
    return { kind: 'decoded', id: request.id, decoded: decodePngFilesInto(request.files, request.format, new Uint8Array(request.out)) };
  } catch {
    return { kind: 'decoded', id: request.id, decoded: new Uint8Array(request.files.length) }; // all left to the main thread
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.kind === 'decode') {
    port.postMessage(decode(request));
    return;
  }
  void run(request).then((results) => {
    if (results.length === 0) return;
    const reply: CorruptReply = { kind: 'corrupted', results };
    port.postMessage(reply);
  });
});
