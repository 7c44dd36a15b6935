/**
 * The text formats, built by string concatenation straight from the raw cells (no re-encoding:
 * numbers keep every digit, strings every escape, datetimes all 7 fraction digits).
 *   ndjson: one object per line, {"col":value,...}; dynamic cells as their JSON value.
 *   json:   the {"columns":[...],"rows":[[...]]} document with the rows exactly as sent, streamed.
 */
import type { Column, RawRow } from "../../table.ts";
import { dynamicJsonText } from "../cells.ts";

/** Turns batches of raw rows into text pieces of one chunk. */
export interface TextChunkEncoder {
  encode(rows: readonly RawRow[]): string;
  finish(): string;
}

export function createNdjsonEncoder(columns: readonly Column[]): TextChunkEncoder {
  const prefixes = columns.map((c, i) => `${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`);
  const dynamic = columns.map((c) => c.type === "dynamic");
  const width = columns.length;
  return {
    encode(rows) {
      let out = "";
      for (const row of rows) {
        if (width === 0) {
          out += "{}\n";
          continue;
        }
        let line = "";
        for (let i = 0; i < width; i++) {
          const raw = row[i]!;
          line += prefixes[i]! + (dynamic[i] ? (dynamicJsonText(raw) ?? "null") : raw);
        }
        out += line + "}\n";
      }
      return out;
    },
    finish() {
      return "";
    },
  };
}

export function createJsonDocumentEncoder(columns: readonly Column[]): TextChunkEncoder {
  const header = `{"columns":${JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type })))},"rows":[`;
  let started = false;
  let first = true;
  return {
    encode(rows) {
      let out = started ? "" : header;
      started = true;
      for (const row of rows) {
        out += `${first ? "\n" : ",\n"}[${row.join(",")}]`;
        first = false;
      }
      return out;
    },
    finish() {
      const out = `${started ? "" : header}${first ? "" : "\n"}]}\n`;
      started = true;
      return out;
    },
  };
}
