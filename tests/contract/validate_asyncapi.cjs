// Validates an AsyncAPI document with the AsyncAPI initiative's own parser (@asyncapi/parser),
// installed into tools/node_modules by tools/setup (else a global install is used).
// Prints one JSON line: {"errors": [...], "warnings": [...]}; exit 1 on errors.
const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');
const local = path.join(__dirname, '..', '..', 'tools', 'node_modules');
const root = fs.existsSync(path.join(local, '@asyncapi', 'parser')) ? local
  : execSync('npm root -g', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const { Parser, fromFile } = require(path.join(root, '@asyncapi', 'parser'));

(async () => {
  const file = process.argv[2];
  const { document, diagnostics } = await fromFile(new Parser(), file).parse();
  const pick = (d) => ({ code: d.code, message: d.message, path: (d.path || []).join('.') });
  const errors = diagnostics.filter((d) => d.severity === 0).map(pick);
  const warnings = diagnostics.filter((d) => d.severity === 1).map(pick);
  if (!document && errors.length === 0) errors.push({ code: 'unparsed', message: 'no document', path: '' });
  console.log(JSON.stringify({ errors, warnings, version: document ? document.version() : null }));
  process.exit(errors.length ? 1 : 0);
})().catch((e) => { console.log(JSON.stringify({ errors: [{ code: 'crash', message: String(e) }] })); process.exit(2); });
