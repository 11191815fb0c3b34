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

/** Awaits `promise` and returns what it rejected with; fails when it resolves. */
export async function rejection(promise) {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof Error, `rejected with a non-Error: ${err}`)
    return err
  }
  assert.fail('expected the promise to reject')
}
