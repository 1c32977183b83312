/** Writes index.html, app.js and app.css into `outDir` (default dist/dashboard); resolves to it. */
export function build(outDir?: string): Promise<string>;
