// Starts a real `trading-bot up` on embedded defaults in a temporary data directory.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface BotServer {
  /** The dashboard's origin, on `localhost` so WebAuthn sees a secure context. */
  readonly origin: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Return the one-time sign-up link: from the start-up output, else `trading-bot user invite`. */
  bootstrapLink(): Promise<string>;
  stop(): Promise<void>;
}

const SIGNUP_LINK = /https?:\/\/[^\s"'<>]+\/signup\?token=[A-Za-z0-9_\-.~%]+/;

/** The `trading-bot` executable: $TRADING_BOT, else the repository's virtualenv. */
export function botExecutable(): string {
  return process.env.TRADING_BOT ?? resolve(import.meta.dirname, "../../../.venv/bin/trading-bot");
}

/** Ask the OS for a port nobody listens on. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolvePort(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

async function waitForHealth(origin: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`trading-bot up exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${origin}/health`);
      if (response.status === 200 || response.status === 503) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`trading-bot up did not answer /health within ${timeoutMs} ms:\n${output()}`);
}

/** Start the bot and wait until its API answers. */
export async function startBot(extraEnv: Record<string, string> = {}, timeoutMs = 90_000): Promise<BotServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "trading-bot-e2e-"));
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TRADING_DATA_DIR: dataDir,
    TRADING_STORAGE__URL: `sqlite+aiosqlite:///${join(dataDir, "trading-bot.db")}`,
    TRADING_API__HOST: "127.0.0.1",
    TRADING_API__PORT: String(port),
    TRADING_API__RP_ID: "localhost",
    TRADING_API__ORIGIN: origin,
    TRADING_API__EXTRA_ORIGINS: `http://127.0.0.1:${port}`,
    NO_COLOR: "1",
    ...extraEnv,
  };
  const bot = botExecutable();
  const child = spawn(bot, ["up"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  child.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
  const output = () => printed;

  try {
    await waitForHealth(origin, child, output, timeoutMs);
  } catch (error) {
    child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    origin,
    dataDir,
    env,
    output,
    async bootstrapLink() {
      const printedLink = SIGNUP_LINK.exec(printed)?.[0];
      if (printedLink) return printedLink;
      const invited = await run(bot, ["user", "invite"], { env, timeout: 60_000 }).catch(
        (error: unknown) => ({ stdout: "", stderr: String(error) }),
      );
      const link = SIGNUP_LINK.exec(`${invited.stdout}\n${invited.stderr}`)?.[0];
      if (!link) {
        throw new Error(
          "no sign-up link: the server printed none at start-up and `trading-bot user invite` " +
            `gave none.\nserver output:\n${printed}\ninvite output:\n${invited.stdout}${invited.stderr}`,
        );
      }
      return link;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
