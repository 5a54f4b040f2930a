// The browser tests: a real `trading-bot up` and Debian's Chromium driven by playwright-core.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    // One server and one browser for the whole story; the steps depend on each other.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
