// Builds the single-page app into dist/: hashed bundles under dist/assets/ (cached for a
// year by the node) and dist/index.html naming them (never cached). Prints the gzipped size
// of what a browser loads and fails above the budget.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 150 * 1024;
const out = 'dist';

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });

const result = await build({
  entryPoints: ['src/main.tsx'],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outdir: `${out}/assets`,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  // Fonts and icons travel inside the bundle's folder: the page loads nothing from another origin.
  loader: { '.woff2': 'file', '.svg': 'file' },
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
if (!script) throw new Error('esbuild produced no script');

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>LIMS</title>
${style ? `<link rel="stylesheet" href="/assets/${basename(style)}">\n` : ''}<script type="module" src="/assets/${basename(script)}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The LIMS web UI needs JavaScript.</noscript>
</body>
</html>
`;
writeFileSync(`${out}/index.html`, html);

let total = 0;
for (const file of outputs) {
  const gz = gzipSync(readFileSync(file)).length;
  total += gz;
  console.log(`  ${file}  ${(readFileSync(file).length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
}
console.log(`ui bundle: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`);
if (total > BUDGET_BYTES) {
  console.error('ui bundle over budget');
  process.exit(1);
}
