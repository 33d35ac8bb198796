import { randomBytes } from 'node:crypto';

const keys = new WeakMap<object, Buffer>();

/**
 * A random key that lives as long as `owner`, for a store whose data does not outlive the process
 * (the in-memory store): module instances that share the store share the key. A copy each time.
 */
export function instanceKey(owner: object): Buffer {
  let key = keys.get(owner);
  if (!key) keys.set(owner, (key = randomBytes(32)));
  return Buffer.from(key);
}
