/**
 * Cursor states as small JSON blobs (`_state/<query>/<scope>.json`), written with ETag
 * conditions: a commit that builds on `previous` only lands if the stored blob still has
 * `previous.version` (or, for the first commit, does not exist yet). A stale or concurrent
 * writer gets STATE_CONFLICT and can never overwrite a newer watermark. Bodies go through the one
 * cursor codec (src/state/cursor.ts); a blob that does not decode is STATE_CORRUPT.
 */
import type { ContainerClient } from "@azure/storage-blob";
import { decodeCursor, encodeCursor, type CursorState, type StateKey } from "../../state/cursor.ts";
import { readForList, type CursorStore, type ListOptions } from "../../state/cursor-store.ts";
import { isValidQueryName, statePath } from "../layout.ts";
import { SinkError } from "../../errors.ts";
import { isNotFound, statusOf, StorageFailure, toSinkError, type Redactor } from "./blob-errors.ts";

export interface StateStoreContext {
  container: ContainerClient;
  containerUrl: string;
  prefix: string;
  redact: Redactor;
}

export class BlobStateStore implements CursorStore {
  readonly #ctx: StateStoreContext;

  constructor(ctx: StateStoreContext) {
    this.#ctx = ctx;
  }

  locationOf(key: StateKey): string {
    return `${this.#ctx.containerUrl}/${this.blobName(key)}`;
  }

  blobName(key: StateKey): string {
    return this.#ctx.prefix + statePath(key);
  }

  async read(key: StateKey, signal?: AbortSignal): Promise<CursorState | undefined> {
    const name = this.blobName(key);
    let found: { text: string; etag: string } | undefined;
    try {
      found = await readBlobWithEtag(this.#ctx.container, name, signal);
    } catch (err) {
      throw toSinkError(err, { action: `Reading the state blob ${name}`, container: this.#ctx.containerUrl, redact: this.#ctx.redact, signal });
    }
    if (!found) return undefined;
    return { ...decodeCursor(found.text, `the state blob ${this.#ctx.containerUrl}/${name}`), version: found.etag };
  }

  /**
   * Store `next` on top of `previous`; returns the new ETag. Throws STATE_CONFLICT (not
   * retryable) when the stored state is not `previous`.
   */
  async write(key: StateKey, next: CursorState, previous: CursorState | undefined, signal?: AbortSignal): Promise<string> {
    const name = this.blobName(key);
    const body = encodeCursor(next);
    if (previous !== undefined && previous.version === undefined) {
      throw new SinkError("INTERNAL", `Cannot update the state blob ${name}: the previous state has no version (it was not read from this sink).`);
    }
    const blob = this.#ctx.container.getBlockBlobClient(name);
    try {
      const response = await blob.upload(body, Buffer.byteLength(body), {
        abortSignal: signal,
        blobHTTPHeaders: { blobContentType: "application/json" },
        conditions: previous === undefined ? { ifNoneMatch: "*" } : { ifMatch: previous.version! },
      });
      return response.etag!;
    } catch (err) {
      const status = statusOf(err);
      if (status === 409 || status === 412) {
        // The write may have landed on an earlier try whose response was lost (the SDK then
        // retried and met its own ETag): that is our state, not a conflict.
        const stored = await this.#readQuietly(name, signal);
        if (stored !== undefined && stored.text === body) return stored.etag;
        const storedState = stored === undefined ? undefined : tryParse(stored.text);
        throw new SinkError(
          "STATE_CONFLICT",
          `The state blob ${name} was changed by another writer: expected ${previous === undefined ? "no state yet" : `version ${previous.version}`}, found ${
            stored === undefined ? "no state" : `version ${stored.etag}${storedState ? ` with watermark ${new Date(storedState.watermark).toISOString()}` : ""}`
          }. The window's data was written but its cursor was not moved.`,
          {
            cause: new StorageFailure(`HTTP ${status}`, { statusCode: status }),
            hint: "Another monitorlift process is exporting the same query to this container: run only one per query and scope (the next run continues from the stored watermark).",
          },
        );
      }
      throw toSinkError(err, { action: `Writing the state blob ${name}`, container: this.#ctx.containerUrl, redact: this.#ctx.redact, signal });
    }
  }

  /** Every stored cursor under `_state/`. */
  async list(options?: ListOptions): Promise<Array<{ key: StateKey; state: CursorState }>> {
    const signal = options?.signal;
    const root = `${this.#ctx.prefix}_state/`;
    const keys: StateKey[] = [];
    try {
      for await (const item of this.#ctx.container.listBlobsFlat({ prefix: root, abortSignal: signal })) {
        const rest = item.name.slice(root.length);
        const m = /^([^/]+)\/([^/]+)\.json$/.exec(rest);
        if (m && isValidQueryName(m[1]!)) keys.push({ query: m[1]!, scope: m[2]! });
      }
    } catch (err) {
      throw toSinkError(err, { action: `Listing the state blobs under ${root}`, container: this.#ctx.containerUrl, redact: this.#ctx.redact, signal });
    }
    const out: Array<{ key: StateKey; state: CursorState }> = [];
    for (const key of keys) {
      const state = await readForList(() => this.read(key, signal), key, options);
      if (state !== undefined) out.push({ key, state });
    }
    return out;
  }

  async #readQuietly(name: string, signal?: AbortSignal): Promise<{ text: string; etag: string } | undefined> {
    try {
      return await readBlobWithEtag(this.#ctx.container, name, signal);
    } catch {
      return undefined;
    }
  }
}

function tryParse(text: string): CursorState | undefined {
  try {
    return decodeCursor(text, "");
  } catch {
    return undefined;
  }
}

/** The content of a blob and the ETag of exactly that content (one GET). */
export async function readBlobWithEtag(
  container: ContainerClient,
  name: string,
  signal?: AbortSignal,
): Promise<{ text: string; etag: string } | undefined> {
  try {
    const response = await container.getBlobClient(name).download(0, undefined, { abortSignal: signal });
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody!) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString("utf8"), etag: response.etag! };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
