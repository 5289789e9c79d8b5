/** The one line a failed command prints: what could not be done to which path, not Node's text after its code. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, openSync } from 'node:fs';
import { errorLine } from '../../../src/cli/error-line.js';
import { MillraceError } from '../../../src/core/errors.js';
import { createTempDir } from '../../helpers/temp-dir.js';

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('errorLine', () => {
  it('says what a system call could not do to which path, and the code once', () => {
    const dir = createTempDir();
    try {
      const missing = dir.file('none/x.log');
      assert.equal(errorLine(thrownBy(() => openSync(missing, 'r'))), `cannot open ${missing}: no such file or directory (ENOENT)`);
      assert.equal(errorLine(thrownBy(() => openSync(dir.path, 'w'))), `cannot open ${dir.path}: illegal operation on a directory (EISDIR)`);
      openSync(dir.file('plain'), 'w');
      assert.equal(errorLine(thrownBy(() => mkdirSync(dir.file('plain/sub')))), `cannot mkdir ${dir.file('plain/sub')}: not a directory (ENOTDIR)`);
    } finally {
      dir.remove();
    }
  });

  it('keeps an engine error as code then message, and a plain error as its message', () => {
    assert.equal(errorLine(new MillraceError('INPUT_NOT_FOUND', 'input file "a.log" does not exist')), 'INPUT_NOT_FOUND: input file "a.log" does not exist');
    assert.equal(errorLine(new Error('something broke')), 'something broke');
    assert.equal(errorLine('a string'), 'a string');
  });
});
