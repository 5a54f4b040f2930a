// The dashboard end to end: a real `trading-bot up`, Chromium, and a virtual passkey authenticator.
//
// One story, in order: signed-out visit, sign-up with the bootstrap token, sign-out and sign-in,
// the portfolio, pause and resume, a trade arriving live, every view, a backtest, a phone-sized
// screen, and a wrong token. Screenshots of each view land in test-results/ and docs/screenshots/.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addVirtualAuthenticator, launchBrowser, type Browser, type VirtualAuthenticator } from "./support/browser";
import { capture, publishScreenshots } from "./support/screenshots";
import { startBot, type BotServer } from "./support/server";

/** How long the embedded bot gets to trade on its own before the test closes a position. */
const LIVE_TRADE_WAIT_MS = 90_000;
const BACKTEST_WAIT_MS = 120_000;
const ACCESS_TOKEN_KEY = "trading-bot.access-token";

let bot: BotServer;
let browser: Browser;
let page: Page;
let authenticator: VirtualAuthenticator;
let signedIn = false;
const cleanups: (() => Promise<unknown>)[] = [];

/** Fail at once when the story cannot go on, instead of timing out step after step. */
function requireSignedIn(): void {
  if (!signedIn) throw new Error("not signed in: the sign-up or sign-in step above failed");
}

function serverTail(): string {
  return bot.output().split("\n").slice(-30).join("\n");
}

async function navigate(label: string, path: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
  await page.waitForURL((url) => url.pathname.startsWith(path));
}

/** Call the API as the signed-in user (the dashboard's own access token). */
async function callApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return page.evaluate(
    async ({ method, path, body, key }) => {
      const token = sessionStorage.getItem(key);
      const response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${token ?? ""}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // Keep the text.
      }
      return { status: response.status, json };
    },
    { method, path, body, key: ACCESS_TOKEN_KEY },
  );
}

describe("the dashboard in Chromium against a real trading-bot", () => {
  beforeAll(async () => {
    // Ten simulated minutes per real second: the synthetic market trades within the wait below.
    bot = await startBot({ TRADING_MARKET__SPEED: "600" });
    cleanups.push(() => bot.stop());
    browser = await launchBrowser();
    cleanups.push(() => browser.close());
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    authenticator = await addVirtualAuthenticator(page);
  });

  afterAll(async () => {
    await publishScreenshots();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("test_dashboard_when_signed_out_visit_lands_on_the_sign_in_page", async () => {
    await page.goto(`${bot.origin}/portfolio`);

    await page.waitForURL(`${bot.origin}/signin?next=%2Fportfolio`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await capture(page, "signin");
  });

  it("test_dashboard_when_signing_up_with_the_bootstrap_link_creates_a_passkey", async () => {
    const link = new URL(await bot.bootstrapLink());
    const token = link.searchParams.get("token") ?? "";

    await page.goto(`${bot.origin}/signup${link.search}`);
    await expect(page.getByLabel("Invitation or bootstrap token").inputValue()).resolves.toBe(token);
    await page.getByLabel("Username").fill("alice");
    await page.getByRole("button", { name: "Create a passkey" }).click();

    await page.waitForURL(`${bot.origin}/portfolio`, { timeout: 20_000 }).catch(async () => {
      const alert = await page.getByRole("alert").allTextContents();
      throw new Error(`sign-up did not reach the portfolio; the page says ${JSON.stringify(alert)}\n${serverTail()}`);
    });
    expect(await authenticator.credentialCount()).toBe(1);
    signedIn = true;
  });

  it("test_dashboard_when_signing_out_and_in_again_uses_the_same_passkey", async () => {
    requireSignedIn();
    signedIn = false;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signin");

    await page.getByRole("button", { name: "Sign in with a passkey" }).click();

    await page.waitForURL(`${bot.origin}/portfolio`, { timeout: 20_000 }).catch(async () => {
      const alert = await page.getByRole("alert").allTextContents();
      throw new Error(`sign-in did not reach the portfolio; the page says ${JSON.stringify(alert)}\n${serverTail()}`);
    });
    expect(await authenticator.credentialCount()).toBe(1);
    signedIn = true;
  });

  it("test_dashboard_when_signed_in_portfolio_shows_value_and_equity_curve", async () => {
    requireSignedIn();
    const value = page.getByTestId("portfolio-value");
    await value.waitFor({ timeout: 15_000 });
    expect(await value.textContent()).toMatch(/^\$[\d,]+\.\d{2}$/);
    await expect(page.getByTestId("topbar-value").textContent()).resolves.toMatch(/^\$[\d,]+\.\d{2}$/);

    const chart = page.getByTestId("equity-chart");
    await chart.waitFor({ timeout: 60_000 }).catch(async () => {
      const text = await page.getByRole("main").textContent();
      // Keep a picture of what a user can see: the whole history, if there is any.
      await page.getByRole("button", { name: "All" }).click();
      await chart.waitFor({ timeout: 5_000 }).catch(() => undefined);
      await capture(page, "portfolio");
      await page.getByRole("button", { name: "1M" }).click();
      throw new Error(`no equity curve was drawn for the default period; the page says: ${text ?? ""}`);
    });
    expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThan(0);
    expect(await chart.locator("canvas").count()).toBeGreaterThan(0);
    await capture(page, "portfolio");
  });

  it("test_dashboard_when_pausing_then_resuming_the_top_bar_follows", async () => {
    requireSignedIn();
    const status = page.getByTestId("trading-status");
    await page.locator('[data-testid="trading-status"][data-status="active"]').waitFor({ timeout: 15_000 });

    await page.getByRole("button", { name: "Pause trading" }).click();
    await page.locator('[data-testid="trading-status"][data-status="paused"]').waitFor({ timeout: 10_000 });
    expect(await status.textContent()).toContain("Paused");

    await page.getByRole("button", { name: "Resume trading" }).click();
    await page.locator('[data-testid="trading-status"][data-status="active"]').waitFor({ timeout: 10_000 });
    expect(await status.textContent()).toContain("Active");
  });

  it("test_dashboard_when_the_bot_trades_the_trade_appears_without_reloading", { timeout: LIVE_TRADE_WAIT_MS + 60_000 }, async () => {
    requireSignedIn();
    await navigate("Trades", "/trades");
    await page.getByRole("heading", { name: "Trades" }).waitFor();
    await page.locator('[data-testid="live-status"][data-status="open"]').waitFor({ timeout: 15_000 });
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    const before = await page.getByTestId("trade-row").count();

    const appeared = await page
      .waitForFunction((n) => document.querySelectorAll('[data-testid="trade-row"]').length > n, before, {
        timeout: LIVE_TRADE_WAIT_MS,
      })
      .then(() => true)
      .catch(() => false);

    if (!appeared) {
      // The market did not produce a trade in time: close a position, as a user could.
      const positions = await callApi("GET", "/api/portfolio/positions");
      const open = Array.isArray(positions.json) ? (positions.json as { ticker: string }[]) : [];
      if (open.length === 0) {
        throw new Error(
          `no trade within ${LIVE_TRADE_WAIT_MS / 1000} s and no open position to close ` +
            `(GET /api/portfolio/positions -> ${positions.status}): the embedded bot is not trading.\n${serverTail()}`,
        );
      }
      const closed = await callApi("POST", "/api/controls/close-position", { ticker: open[0]?.ticker });
      expect(closed.status, JSON.stringify(closed.json)).toBeLessThan(300);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="trade-row"]').length > n, before, {
        timeout: 30_000,
      });
    }

    const sameDocument = await page.evaluate(
      () => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true,
    );
    expect(sameDocument).toBe(true);
    await expect(page.getByRole("region", { name: "Notifications" }).textContent()).resolves.toMatch(
      /(Bought|Sold|Order to)/,
    );
    await page.getByTestId("trade-row").first().getByRole("button").click();
    await page.waitForTimeout(1000);
    await capture(page, "trades");
  });

  it("test_dashboard_when_visiting_strategies_shows_each_strategy", async () => {
    requireSignedIn();
    await navigate("Strategies", "/strategies");
    await page.getByRole("heading", { name: "Strategies", level: 1 }).waitFor();
    await page.getByRole("list", { name: "Strategies" }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("list", { name: "Strategies" }).getByRole("listitem").count()).toBeGreaterThan(0);
    await page.getByRole("figure", { name: "Weight allocation" }).waitFor({ timeout: 15_000 });
    await capture(page, "strategies");
  });

  it("test_dashboard_when_visiting_news_shows_scored_articles_with_badges", async () => {
    requireSignedIn();
    await navigate("News", "/news");
    const feed = page.getByTestId("news-feed");
    await feed.waitFor({ timeout: 30_000 });
    const first = feed.getByRole("listitem").first();
    await expect(first.getByLabel(/^Sentiment (positive|neutral|negative)/).count()).resolves.toBe(1);
    await capture(page, "news");
  });

  it("test_dashboard_when_a_backtest_is_run_from_the_form_shows_its_results", { timeout: BACKTEST_WAIT_MS + 30_000 }, async () => {
    requireSignedIn();
    await navigate("Backtests", "/backtests");
    await page.getByRole("button", { name: "Run backtest" }).click();

    await page.waitForURL((url) => /^\/backtests\/[^/]+$/.test(url.pathname), { timeout: 15_000 }).catch(async () => {
      const alert = await page.getByRole("alert").allTextContents();
      throw new Error(`the backtest did not start; the page says ${JSON.stringify(alert)}\n${serverTail()}`);
    });
    const failed = page.getByText(/^The backtest failed/);
    await Promise.race([
      page.getByTestId("backtest-results").waitFor({ timeout: BACKTEST_WAIT_MS }),
      failed.waitFor({ timeout: BACKTEST_WAIT_MS }),
    ]).catch(async () => {
      const text = await page.getByRole("main").textContent();
      throw new Error(`no backtest results within ${BACKTEST_WAIT_MS / 1000} s; the page says: ${text ?? ""}`);
    });
    if (await failed.isVisible()) {
      await capture(page, "backtests");
      throw new Error(`the backtest ran but failed: ${(await failed.textContent()) ?? ""}`);
    }
    expect(await page.locator('[data-testid^="backtest-metric-"]').count()).toBeGreaterThan(0);
    await page.getByTestId("backtest-equity-chart").waitFor();
    await capture(page, "backtests");
  });

  it("test_dashboard_when_visiting_settings_lists_the_passkey", async () => {
    requireSignedIn();
    await navigate("Settings", "/settings");
    const passkeys = page.getByRole("list", { name: "Your passkeys" });
    await passkeys.waitFor({ timeout: 15_000 });
    expect(await passkeys.getByRole("listitem").count()).toBe(1);

    await page.getByRole("button", { name: "Create invitation link" }).click();
    await expect(page.getByLabel("Invitation link", { exact: true }).inputValue()).resolves.toMatch(
      /\/signup\?token=/,
    );

    await page.getByLabel("Name", { exact: true }).fill("nightly-report");
    await page.getByRole("button", { name: "Create token" }).click();
    const minted = page.getByLabel("New API token", { exact: true });
    await minted.waitFor();
    expect((await minted.inputValue()).length).toBeGreaterThan(20);
    await page.getByRole("table", { name: "API tokens" }).getByText("nightly-report").waitFor();
    await capture(page, "settings");
  });

  it("test_dashboard_when_on_a_phone_fits_the_screen_width", async () => {
    requireSignedIn();
    await page.setViewportSize({ width: 375, height: 812 });
    await navigate("Portfolio", "/portfolio");
    await page.getByTestId("portfolio-value").waitFor();

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await capture(page, "portfolio-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("test_dashboard_when_the_token_is_wrong_lands_on_the_sign_in_page", async () => {
    await browser.context.clearCookies();
    const stranger = await browser.context.newPage();
    await stranger.addInitScript((key) => {
      sessionStorage.setItem(key, "not-a-valid-token");
    }, ACCESS_TOKEN_KEY);

    await stranger.goto(`${bot.origin}/trades`);

    await stranger.waitForURL((url) => url.pathname === "/signin", { timeout: 15_000 });
    expect(new URL(stranger.url()).searchParams.get("next")).toBe("/trades");
    await stranger.close();
  });
});
