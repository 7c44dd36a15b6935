/**
 * Azurite (the local Azure Storage emulator, a dev dependency) for tests: one blob
 * server per call, on 127.0.0.1 only, started from node_modules so no global install
 * or network is needed.
 *
 *   const azurite = await startAzurite();            // in memory, a free port
 *   const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
 *   …
 *   await azurite.stop();
 *
 * `location` keeps the data on disk so it survives stop() + restart(); restart() reuses
 * the same port, so clients built before the restart keep working.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Azurite's documented development account (public, the same in every Azurite installation). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** Keep data in memory (the default unless `location` is given). */
  inMemory?: boolean;
  /** Folder for Azurite's data on disk; survives restart(). */
  location?: string;
  /** How long to wait for the server to listen, default 20 s. */
  startTimeoutMs?: number;
}

export interface Azurite {
  /** Connection string of the development account against this server. */
  readonly connectionString: string;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  readonly accountUrl: string;
  readonly port: number;
  readonly accountName: string;
  readonly accountKey: string;
  /** Stop the server (SIGTERM, so a disk location is flushed; SIGKILL after 10 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Start the server again on the same port (and location), after stop() or while running. */
  restart(): Promise<void>;
}

const require = createRequire(import.meta.url);
const LISTENING = /successfully listens on https?:\/\/[^:\s]+:(\d+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const inMemory = options.location === undefined && options.inMemory !== false;
  let child: ChildProcess | undefined;
  let port = 0;
  // Azurite writes its metadata (and, on disk, its data) to the working folder or `location`:
  // give each server a scratch folder of its own so nothing lands in the repository.
  const scratch = await mkdtemp(join(tmpdir(), "monitorlift-azurite-"));
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(scratch, { recursive: true, force: true });
  });
  const location = options.location ?? (inMemory ? undefined : scratch);
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const entry = require.resolve("azurite/dist/src/blob/main.js");

  async function launch(requestedPort: number): Promise<number> {
    const args = [
      entry,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(requestedPort),
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--silent",
      ...(location === undefined ? ["--inMemoryPersistence"] : ["--location", location]),
    ];
    const proc = spawn(process.execPath, args, { cwd: scratch, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    return await new Promise<number>((resolve, reject) => {
      let output = "";
      let listening = false;
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`Azurite did not start listening within ${startTimeoutMs} ms. Output:\n${output}`));
      }, startTimeoutMs);
      const onData = (data: Buffer) => {
        if (listening) return;
        output += data.toString();
        const m = LISTENING.exec(output);
        if (m) {
          listening = true;
          clearTimeout(timer);
          // A test that fails before stop() must not keep the test process alive: the
          // process "exit" hook above kills the server then.
          proc.unref();
          (proc.stdout as unknown as { unref(): void }).unref();
          (proc.stderr as unknown as { unref(): void }).unref();
          resolve(Number(m[1]));
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", onData);
      proc.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      proc.once("exit", (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited before listening (code ${code}, signal ${sig}). Output:\n${output}`));
      });
    });
  }

  async function halt(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      proc.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  }

  port = await launch(0);
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;

  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
      `BlobEndpoint=${accountUrl};`,
    accountUrl,
    port,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    stop: halt,
    async restart() {
      await halt();
      await launch(port);
    },
  };
}
