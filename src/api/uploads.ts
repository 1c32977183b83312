import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { appError } from '../domain/index.js';
import type { ArtifactFiles, StagedArtifact } from '../registry/index.js';

const ONNX_TYPES = ['application/octet-stream', 'application/x-onnx', 'application/onnx'];

/** The parsed body of an ONNX upload: a file already on disk, not bytes in memory. */
export class UploadBody {
  constructor(readonly staged: StagedArtifact) {}
}

export interface UploadOptions {
  readonly files: ArtifactFiles;
  readonly limitBytes: number;
  readonly maxConcurrent: number;
}

/**
 * ONNX bodies stream to a temporary file in the models directory and are hashed on the way
 * (ArtifactFiles.stage), with at most `maxConcurrent` uploads received and registered at once:
 * buffered, four concurrent 300 MB uploads took the process to 1.2 GB before their 413s, and one
 * 200 MB body held the event loop for about a second.
 */
export function installUploads(app: FastifyInstance, opts: UploadOptions): void {
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  // A callback hook that returns at once for every request of the model routes that is not an
  // upload (their reads, a JSON registration), without a promise of its own.
  const release = (req: FastifyRequest, done: (err?: Error) => void) => {
    if (counted.delete(req)) inFlight--;
    // A request refused after its body was staged (a bad query, say) leaves no file behind;
    // after a registration the file has been moved into place and there is nothing to remove.
    if (!(req.body instanceof UploadBody)) return done();
    opts.files.discard(req.body.staged).then(() => done(), done);
  };
  app.addHook('onResponse', (req, _reply, done) => release(req, done));
  app.addHook('onRequestAbort', (req, done) => release(req, done));

  app.addContentTypeParser(ONNX_TYPES, async (req: FastifyRequest, payload: Readable) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.limitBytes) {
      throw appError('body_too_large', `the upload (${declared} bytes) is larger than the upload limit of ${opts.limitBytes} bytes (COALMINE_UPLOAD_LIMIT)`);
    }
    if (inFlight >= opts.maxConcurrent) {
      throw appError('too_many_uploads', `${inFlight} uploads are being received already (COALMINE_MAX_CONCURRENT_UPLOADS=${opts.maxConcurrent}); retry when one has finished`);
    }
    inFlight++;
    counted.add(req);
    return new UploadBody(await opts.files.stage(payload, opts.limitBytes));
  });
}
