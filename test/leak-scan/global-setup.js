const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** Where every test file leaves what it captured; test workers inherit the variable. */
module.exports = async () => {
  process.env.LEAK_SCAN_DIR = mkdtempSync(join(tmpdir(), 'smtp-settings-leak-scan-'));
};
