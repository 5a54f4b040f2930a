// Screenshots of each view: saved under test-results/, then copied to docs/screenshots/.
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";

import type { Page } from "playwright-core";

export const RESULTS_DIR = resolve(import.meta.dirname, "../../test-results/screenshots");
export const DOCS_DIR = resolve(import.meta.dirname, "../../../docs/screenshots");

/** Save a full-page screenshot of `page` as `<name>.png`. */
export async function capture(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  // Let charts finish their first paint.
  await page.waitForTimeout(300);
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}

/** Copy every screenshot of this run into docs/screenshots (the README shows them). */
export async function publishScreenshots(): Promise<string[]> {
  await mkdir(DOCS_DIR, { recursive: true });
  const files = (await readdir(RESULTS_DIR).catch(() => [])).filter((f) => f.endsWith(".png"));
  await Promise.all(files.map((file) => copyFile(join(RESULTS_DIR, file), join(DOCS_DIR, file))));
  return files;
}
