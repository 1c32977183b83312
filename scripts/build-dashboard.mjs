#!/usr/bin/env node
// Bundles the dashboard (Preact + uPlot, no CDN) into static files served at `/`.
// `npm run build` runs it; tests import build() to serve the current sources.
import { build as esbuild } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'dashboard');

/** Writes index.html, favicon.svg, app.js and app.css into `outDir`. */
export async function build(outDir = join(root, 'dist', 'dashboard')) {
  mkdirSync(outDir, { recursive: true });
  await esbuild({
    entryPoints: { app: join(src, 'main.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(src, 'tsconfig.json'),
    logLevel: 'warning',
    legalComments: 'linked',
  });
  copyFileSync(join(src, 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(src, 'favicon.svg'), join(outDir, 'favicon.svg'));
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
