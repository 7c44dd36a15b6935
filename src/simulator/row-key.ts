/**
 * Stored rows carry a hidden number on their values array (a symbol-keyed
 * property, invisible to indexing, length and copies): the row's slot in its
 * workspace's JSON cache (wire/row-cache.ts). Set once when the row is generated;
 * numbered from 0 per workspace.
 */
import type { SimValue } from "./catalog.ts";

export const ROW_KEY: unique symbol = Symbol("monitorlift.rowKey");

type Keyed = { [ROW_KEY]?: number };

/** Non-enumerable, so deep-equality checks and copies ignore it. */
export function setRowKey(values: SimValue[], key: number): void {
  Object.defineProperty(values, ROW_KEY, { value: key, enumerable: false, writable: false, configurable: false });
}

export function rowKeyOf(values: readonly SimValue[]): number | undefined {
  return (values as unknown as Keyed)[ROW_KEY];
}
