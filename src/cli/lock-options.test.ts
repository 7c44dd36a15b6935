import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { lockingFrom } from "./lock-options.ts";

test("--lock-wait takes an ISO 8601 duration or 0; absent, the sink's default applies", () => {
  assert.deepEqual(lockingFrom({}), { require: false });
  assert.deepEqual(lockingFrom({ lockWait: "PT90S", requireLock: true }), { require: true, waitMs: 90_000 });
  assert.deepEqual(lockingFrom({ lockWait: "0" }), { require: false, waitMs: 0 });
  assert.throws(() => lockingFrom({ lockWait: "90s" }), (err: unknown) => err instanceof UsageError && /--lock-wait '90s'/.test(err.message));
});
