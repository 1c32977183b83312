import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, appError } from '../domain/index.js';

/** An upload received into a temporary file, hashed as it streamed in. */
export interface StagedArtifact {
  readonly tmpPath: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** A full disk is the operator's to fix, not a bug: 507 with a code that says so. */
function diskError(err: unknown, what: string): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') throw appError('storage_full', `the data directory's disk is full, so ${what} could not be written; free some space and try again (nothing was registered)`);
  throw err;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * ONNX files under `<data-dir>/models/`, named by model and content hash so an identical upload
 * never overwrites a different one. Every file is written to a temporary name, fsynced, read back
 * and checked against its sha256, then renamed: a crash leaves the whole file or none, and a
 * short write on a full disk is caught before anything is acknowledged.
 */
export class ArtifactFiles {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'models');
    mkdirSync(this.dir, { recursive: true });
  }

  static sha256(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  private tmpName(): string {
    // Removed at start if a crash leaves it behind (app/data-dir.ts): the name must stay `.<…>.tmp`.
    return join(this.dir, `.upload-${randomBytes(6).toString('hex')}.${process.pid}.tmp`);
  }

  /**
   * Streams an upload to a temporary file, hashing it on the way, so neither memory nor the event
   * loop pays for the whole body at once. Over `limitBytes` the upload is cut off with a 413.
   */
  async stage(body: Readable, limitBytes: number): Promise<StagedArtifact> {
    const tmpPath = this.tmpName();
    const hash = createHash('sha256');
    let size = 0;
    const counted = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > limitBytes) throw appError('body_too_large', `the upload is larger than the upload limit of ${limitBytes} bytes (COALMINE_UPLOAD_LIMIT)`);
        hash.update(chunk);
        yield chunk;
      }
    };
    try {
      await pipeline(body, counted, createWriteStream(tmpPath));
      await this.sync(tmpPath);
    } catch (err) {
      await rm(tmpPath, { force: true });
      if (err instanceof AppError) throw err;
      return diskError(err, 'the upload');
    }
    return { tmpPath, sha256: hash.digest('hex'), sizeBytes: size };
  }

  private async sync(path: string): Promise<void> {
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Reads a staged upload (the registry inspects the whole graph before it accepts it). */
  readStaged(staged: StagedArtifact): Promise<Buffer> {
    return readFile(staged.tmpPath);
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await rm(staged.tmpPath, { force: true });
  }

  /** Writes `bytes` (or moves a staged upload of exactly those bytes) into place, verified. */
  async write(model: string, bytes: Uint8Array, staged?: StagedArtifact): Promise<{ artifact: string; sha256: string }> {
    const sha256 = staged?.sha256 ?? ArtifactFiles.sha256(bytes);
    const artifact = `${model}-${sha256.slice(0, 16)}.onnx`;
    let tmp = staged?.tmpPath;
    try {
      if (tmp === undefined) {
        tmp = this.tmpName();
        const handle = await open(tmp, 'w');
        try {
          // writeFile loops until every byte is written (a bare write may write fewer).
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      const written = await sha256OfFile(tmp);
      if (written !== sha256) throw appError('storage_full', `the model file was not written whole (its sha256 on disk differs); check the data directory's disk and try again (nothing was registered)`);
      await rename(tmp, join(this.dir, artifact));
    } catch (err) {
      if (tmp !== undefined) await rm(tmp, { force: true });
      if (err instanceof AppError) throw err;
      return diskError(err, 'the model file');
    }
    return { artifact, sha256 };
  }

  path(artifact: string): string {
    return join(this.dir, artifact);
  }

}
