// Helpers shared by the node:test suites (not a test file itself).
import assert from 'node:assert/strict'

/** Calls `fn` and returns what it threw; fails when it does not throw an Error. */
export function thrown(fn) {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${err}`)
    return err
  }
  assert.fail('expected an error to be thrown')
}
