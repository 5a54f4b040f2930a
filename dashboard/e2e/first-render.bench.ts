// Measures the built dashboard in Chromium: navigation start -> portfolio value visible.
//
// The API is answered from fixtures (page.route), so the figure is the dashboard's own cost:
// loading, parsing and running its JavaScript, and rendering the portfolio view.
// Run: node_modules/.bin/jiti e2e/first-render.bench.ts [runs]  (prints JSON on stdout)
import { resolve } from "node:path";

import { preview } from "vite";

import { launchBrowser } from "./support/browser";
import { answerFor } from "./support/fixtures";

const DIST = resolve(import.meta.dirname, "../dist");

declare global {
  interface Window {
    __portfolioValueAt?: number;
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? "7");
  const server = await preview({
    root: resolve(import.meta.dirname, ".."),
    logLevel: "silent",
    preview: { port: 0, host: "127.0.0.1", strictPort: false },
    build: { outDir: DIST },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("vite preview did not report its URL");
  const origin = new URL(url).origin.replace("127.0.0.1", "localhost");

  const timings: number[] = [];
  const scripts = new Set<string>();
  try {
    for (let run = 0; run < runs; run += 1) {
      // A fresh profile per run: nothing cached, as on a first visit.
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        await page.route(/\/(api|auth)\//, async (route) => {
          const path = new URL(route.request().url()).pathname;
          const body = answerFor(path);
          await route.fulfill(
            body === null
              ? { status: 404, json: { error: { code: "not_found", message: path } } }
              : { status: 200, json: body },
          );
        });
        await page.addInitScript(() => {
          const observer = new MutationObserver(() => {
            const value = document.querySelector('[data-testid="portfolio-value"]');
            if (value?.textContent.startsWith("$")) {
              window.__portfolioValueAt = performance.now();
              observer.disconnect();
            }
          });
          observer.observe(document, { childList: true, subtree: true, characterData: true });
        });
        await page.goto(`${origin}/portfolio`);
        await page.getByTestId("portfolio-value").waitFor({ timeout: 30_000 });
        const at = await page.evaluate(() => window.__portfolioValueAt ?? null);
        if (at === null) throw new Error("the portfolio value never appeared");
        timings.push(at);
        const loaded = await page.evaluate(() =>
          performance
            .getEntriesByType("resource")
            .filter((entry) => entry.name.endsWith(".js"))
            .map((entry) => new URL(entry.name).pathname),
        );
        for (const path of loaded) scripts.add(path);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
  process.stdout.write(`${JSON.stringify({ timings_ms: timings, scripts: [...scripts].sort() })}\n`);
}

await main();
