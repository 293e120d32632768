// Generates docs/api.html, the API reference page rihla serves at GET /docs, from
// docs/openapi.json with the pinned @redocly/cli (`redocly build-docs`, its default page
// template plus an empty favicon: tools/docs-template.hbs). The page works offline:
// no Google fonts (--disableGoogleFont), the Redoc bundle that build-docs would load from a
// CDN is inlined from the same Redoc version in tools/node_modules, and its one run-time fetch
// (a logo) is replaced by an empty data: URL. Deterministic output.
//   node tools/build-docs.mjs           regenerate docs/api.html (commit the result)
//   node tools/build-docs.mjs --check   exit 1 if docs/api.html is not what it would generate
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tools = dirname(fileURLToPath(import.meta.url));
const root = join(tools, '..');
const target = join(root, 'docs', 'api.html');
const redoc = join(tools, 'node_modules', 'redoc');
const version = JSON.parse(readFileSync(join(redoc, 'package.json'), 'utf8')).version;

function generate() {
  const dir = mkdtempSync(join(tmpdir(), 'rihla-docs-'));
  try {
    const out = join(dir, 'api.html');
    execFileSync(join(tools, 'node_modules', '.bin', 'redocly'),
      ['build-docs', join(root, 'docs', 'openapi.json'), '--output', out, '--disableGoogleFont',
        '--template', join(tools, 'docs-template.hbs'),
        '--title', 'rihla API reference',
        // The download button breaks hydration (React #418/#423, Redocly/redocly-cli#2113);
        // GET /openapi.json serves the document instead.
        '--theme.openapi.hideDownloadButton'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    let html = readFileSync(out, 'utf8');
    const cdn = `<script src="https://cdn.redocly.com/redoc/v${version}/bundles/redoc.standalone.js"></script>`;
    const parts = html.split(cdn);
    if (parts.length !== 2) throw new Error(`expected one Redoc ${version} CDN script tag in the generated page`);
    let bundle = readFileSync(join(redoc, 'bundles', 'redoc.standalone.js'), 'utf8');
    // The sidebar's "powered by" logo is fetched from a CDN at run time; an empty data: URL
    // makes Redoc's onError handler drop the image instead.
    const logo = '"https://cdn.redoc.ly/redoc/logo-mini.svg"';
    if (bundle.split(logo).length !== 2) throw new Error(`expected the Redoc ${version} bundle to name ${logo} once`);
    bundle = bundle.replace(logo, '"data:,"');
    if (/<\/script/i.test(bundle)) throw new Error('the Redoc bundle cannot be inlined: it contains </script');
    html = parts[0] + `<script>${bundle}</script>` + parts[1];
    // Nothing may be loaded from elsewhere: no external script, stylesheet, font or image.
    const external = html.match(/<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?\/\/[^>]*>/gi);
    if (external) throw new Error(`external resources in the page: ${external.join(' ')}`);
    return html;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const html = generate();
if (process.argv.includes('--check')) {
  let committed = '';
  try { committed = readFileSync(target, 'utf8'); } catch { /* missing: out of date */ }
  if (committed !== html) {
    console.error('docs/api.html is out of date with docs/openapi.json: run `node tools/build-docs.mjs` and commit it');
    process.exit(1);
  }
  console.log('docs/api.html is up to date');
} else {
  writeFileSync(target, html);
  console.log(`wrote docs/api.html (${html.length} bytes)`);
}
