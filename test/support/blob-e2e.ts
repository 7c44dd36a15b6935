/**
 * Shared pieces of the blob sink's end-to-end tests: the sink config (a connection string
 * read from the environment, as a user would configure it), the exactly-once check against
 * the simulator's truth through the independent reader, and a lease breaker (what an operator
 * does after a crash instead of waiting for the lease to expire).
 */
import assert from "node:assert/strict";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { Azurite } from "./azurite.ts";
import type { Harness } from "./harness.ts";
import { compareItemIds } from "./read-export.ts";
import { itemIdsOf, readBlobExport, type BlobExport } from "./read-blob-export.ts";

export const CONNECTION_ENV = "AZURE_STORAGE_CONNECTION_STRING";
export const PREFIX = "telemetry/";

export function blobSink(container: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "blob",
    container,
    prefix: PREFIX,
    createContainer: true,
    auth: { method: "connectionString", env: CONNECTION_ENV },
    ...extra,
  };
}

export function envOf(azurite: Azurite): Record<string, string> {
  return { [CONNECTION_ENV]: azurite.connectionString };
}

/** A plain SDK client (short retries) on a container of the Azurite, for the test's own reads. */
export function containerOf(azurite: Azurite, container: string): ContainerClient {
  return BlobServiceClient.fromConnectionString(azurite.connectionString, {
    retryOptions: { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 400, tryTimeoutInMs: 10_000 },
  }).getContainerClient(container);
}

/**
 * Reads the container with the independent reader and asserts, per query, that the exported
 * _ItemIds are exactly the truth between the query's origin and watermark (a multiset: nothing
 * missing, duplicated or unexpected), that the chunks tile [origin, watermark) with no gap or
 * overlap, and that each chunk holds exactly the rows ingested in its own window.
 */
export async function assertBlobExactlyOnce(
  h: Harness,
  container: ContainerClient,
  queries: Record<string, string>,
  label: string,
): Promise<BlobExport> {
  const exported = await readBlobExport(container, PREFIX);
  for (const [query, table] of Object.entries(queries)) {
    const wm = await h.watermark(query);
    assert.ok(wm, `${label}: ${query} has a watermark`);
    const truth = h.sim.truth(table, { ingestedFrom: wm.origin, ingestedBefore: wm.watermark });
    assert.ok(truth.length > 0, `${label}: ${query} has rows to compare`);
    assert.deepEqual(compareItemIds(itemIdsOf(exported.rows.get(query)), truth), { missing: [], duplicated: [], unexpected: [] }, `${label}: ${query}`);
    const windows = exported.chunks.filter((c) => c.query === query).map((c) => c.window);
    windows.sort((a, b) => a.start - b.start);
    assert.equal(windows[0]?.start, wm.origin, `${label}: ${query}: the first chunk starts at the origin`);
    assert.equal(windows.at(-1)?.end, wm.watermark, `${label}: ${query}: the last chunk ends at the watermark`);
    for (let i = 1; i < windows.length; i++) assert.equal(windows[i]!.start, windows[i - 1]!.end, `${label}: ${query}: chunk ${i} follows the previous one`);
  }
  for (const chunk of exported.chunks) {
    const table = queries[chunk.query];
    assert.ok(table, `${label}: unexpected query folder in ${chunk.name}`);
    const truth = h.sim.truth(table, { ingestedFrom: chunk.window.start, ingestedBefore: chunk.window.end });
    assert.deepEqual(compareItemIds(itemIdsOf(chunk.rows), truth), { missing: [], duplicated: [], unexpected: [] }, `${label}: ${chunk.name} holds its window`);
  }
  return exported;
}

/** Breaks every active lease under `_locks/` (an operator taking over after a crash). Returns how many. */
export async function breakLeases(container: ContainerClient): Promise<number> {
  let broken = 0;
  for await (const blob of container.listBlobsFlat({ prefix: `${PREFIX}_locks/` })) {
    if (blob.properties.leaseState !== "leased") continue;
    try {
      await container.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
      broken++;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }
  return broken;
}
