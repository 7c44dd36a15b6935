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

  it("compressionLevel: in its algorithm's range, and only where it can apply", () => {
    const check = (extra: Record<string, unknown>) =>
      filesystemSinkConfig.check(filesystemSinkSchema.parse({ type: "filesystem", path: "x", ...extra }), { path: "sink", substituted: () => false }).errors;
    assert.deepEqual(check({ compression: "zstd", compressionLevel: 1 }), []);
    assert.deepEqual(check({ compression: "zstd", compressionLevel: 19 }), []);
    assert.deepEqual(check({ compressionLevel: 9 }), [], "gzip is the default compression");
    assert.deepEqual(check({ compressionLevel: 10 }), ["sink.compressionLevel: gzip takes a level from 1 to 9 (default 6), got 10"]);
    assert.deepEqual(check({ compression: "zstd", compressionLevel: 0 }), ["sink.compressionLevel: zstd takes a level from 1 to 19 (default 3), got 0"]);
    assert.deepEqual(check({ compression: "zstd", compressionLevel: 22 }), ["sink.compressionLevel: zstd takes a level from 1 to 19 (default 3), got 22"]);
    assert.match(check({ compression: "none", compressionLevel: 3 })[0]!, /^sink\.compressionLevel: compression is "none"/);
    assert.match(check({ format: "parquet", compressionLevel: 3 })[0]!, /^sink\.compressionLevel: parquet files are compressed internally/);
    assert.throws(() => filesystemSinkSchema.parse({ type: "filesystem", path: "x", compressionLevel: 2.5 }), /expected int/i);
  });
});
