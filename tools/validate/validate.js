#!/usr/bin/env node
// Validates .glb files with the Khronos glTF-Validator and prints one JSON object:
//   {"validator": "2.0.0-dev.3.10", "files": [{"file": ..., "errors": N, "warnings": N,
//    "infos": N, "messages": [{"code", "message", "severity", "pointer"}]}],
//    "total_errors": N}
// `messages` lists errors always, warnings too with --warnings. Exit code: 0 when no file has
// an error, 1 when one does, 2 on bad usage or an unreadable file.
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require('gltf-validator');

const args = process.argv.slice(2);
const withWarnings = args.includes('--warnings');
const files = args.filter((a) => a !== '--warnings');
if (files.length === 0) {
  process.stderr.write('usage: validate.js [--warnings] FILE.glb...\n');
  process.exit(2);
}

const kSeverity = ['error', 'warning', 'info', 'hint'];

async function validateOne(file) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const report = await validator.validateBytes(bytes, {
    uri: path.basename(file),
    maxIssues: 1000,
    // A .glb must be self-contained: any external reference is reported, never loaded.
    externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri}`)),
  });
  const issues = report.issues;
  const messages = issues.messages
    .filter((m) => m.severity === 0 || (withWarnings && m.severity === 1))
    .map((m) => ({
      code: m.code,
      message: m.message,
      severity: kSeverity[m.severity] || String(m.severity),
      pointer: m.pointer,
    }));
  return {
    file,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    infos: issues.numInfos,
    messages,
  };
}

(async () => {
  const out = { validator: validator.version(), files: [], total_errors: 0 };
  for (const file of files) {
    try {
      const r = await validateOne(file);
      out.files.push(r);
      out.total_errors += r.errors;
    } catch (e) {
      process.stderr.write(`validate.js: ${file}: ${e.message}\n`);
      process.exit(2);
    }
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  process.exit(out.total_errors > 0 ? 1 : 0);
})();
