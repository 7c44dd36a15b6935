export { createBlobSink, type BlobSinkOptions } from "./blob-sink.ts";
export { DEFAULT_RETRY } from "./blob-client.ts";
