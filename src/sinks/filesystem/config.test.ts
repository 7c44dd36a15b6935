import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { filesystemSinkConfig, filesystemSinkSchema } from "./config.ts";

describe("filesystem sink config", () => {
  it("defaults, and the root folder made absolute against the config folder", () => {
    const parsed = filesystemSinkSchema.parse({ type: "filesystem", path: "export" });
    assert.deepEqual(parsed, { type: "filesystem", path: "export", format: "ndjson", compression: "gzip", fsync: true });
    assert.equal(filesystemSinkConfig.normalise(parsed, { baseDir: "/srv/cfg" }).path, "/srv/cfg/export");
    assert.equal(filesystemSinkConfig.normalise({ ...parsed, path: "/data/x" }, { baseDir: "/srv/cfg" }).path, "/data/x");
    assert.deepEqual(filesystemSinkConfig.check(parsed, { path: "sink", substituted: () => false }), { errors: [], warnings: [] });
  });
});
