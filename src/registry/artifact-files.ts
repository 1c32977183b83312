import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ONNX files under `<data-dir>/models/`, named by model and content hash so an identical upload
 * never overwrites a different one. Written to a temporary name, fsynced and renamed, so a crash
 * leaves either the whole file or none.
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

  write(model: string, bytes: Uint8Array): { artifact: string; sha256: string } {
    const sha256 = ArtifactFiles.sha256(bytes);
    const artifact = `${model}-${sha256.slice(0, 16)}.onnx`;
    const tmp = join(this.dir, `.${artifact}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, artifact));
    return { artifact, sha256 };
  }

  path(artifact: string): string {
    return join(this.dir, artifact);
  }

  read(artifact: string): Buffer {
    return readFileSync(this.path(artifact));
  }
}
