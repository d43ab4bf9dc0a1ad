// The local dashboard's figures under given filters, for cinelake_tools/parity.py.
//
//   node dashboards/test/figures.mjs <dashboard.html> <scenarios.json>
//
// scenarios.json: [{"name", "country" (SOUTH_AMERICA, CO_PRODUCTION, REST, ALL or a
// country code), "lastYears" (a number or null), "minVotes" (a number), "minRating" (a
// number, 7 when left out)}]. Each is set through the page's own controls, from Reset (South America, all years, 1,000 votes). Prints
// {"<name>": {"charts": {"<chart>": [{"key", "label", "value"}]}, "kpis": {"<kpi>": value},
//   "sources": {"imdb", "tmdb", "newest", "population", "setAside"},
//   "detail": {"label", "facts": {<fact>: value}, "cast": [name]} or null}}
// as JSON on stdout. Uses the system Chromium (CHROMIUM, default /usr/bin/chromium).
// Exit status 0 on success, 1 on a failure, 2 on bad usage.

import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TIMEOUT = 15000;
const [htmlArg, scenariosArg] = process.argv.slice(2);
if (!htmlArg || !scenariosArg) {
  console.error('usage: node figures.mjs <dashboard.html> <scenarios.json>');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`figures: no Chromium at ${executablePath} (set CHROMIUM)`);
  process.exit(2);
}
const scenarios = JSON.parse(readFileSync(scenariosArg, 'utf8'));

async function rerender(page, action) {
  const before = await page.evaluate(() => document.body.dataset.renderCount || '');
  await action();
  await page.waitForFunction((b) => (document.body.dataset.renderCount || '') !== b, before, { timeout: TIMEOUT });
}

// Sets a control only when it changes something (an unchanged value renders nothing).
async function set(page, selector, value, kind) {
  const current = await page.$eval(selector, (e) => e.value);
  if (current === value) return;
  await rerender(page, () => (kind === 'select' ? page.selectOption(selector, value) : page.fill(selector, value)));
}

const profile = mkdtempSync(path.join(tmpdir(), 'cinelake-figures-'));
let context;
const errors = [];
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport: { width: 1366, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  await context.route((url) => url.protocol !== 'file:', (route) => route.abort());
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(pathToFileURL(path.resolve(htmlArg)).href, { waitUntil: 'load', timeout: TIMEOUT });
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: TIMEOUT });
  const out = {};
  for (const s of scenarios) {
    const before = await page.evaluate(() => document.body.dataset.renderCount || '');
    await page.click('#f-reset');
    await page.waitForFunction((b) => (document.body.dataset.renderCount || '') !== b, before, { timeout: TIMEOUT });
    await set(page, '#f-country', s.country, 'select');
    await set(page, '#f-last-years', s.lastYears === null ? '' : String(s.lastYears), 'fill');
    await set(page, '#f-min-votes', String(s.minVotes), 'fill');
    await set(page, '#f-min-rating', (s.minRating === undefined ? 7 : s.minRating).toFixed(1), 'fill');
    out[s.name] = await page.evaluate(() => {
      const charts = {};
      for (const svg of document.querySelectorAll('svg[data-chart]')) {
        charts[svg.getAttribute('data-chart')] = [...svg.querySelectorAll('.mark')].map((m) => ({
          key: m.getAttribute('data-key'),
          label: m.getAttribute('data-label'),
          value: m.hasAttribute('data-value') ? Number(m.getAttribute('data-value')) : null,
          films: m.hasAttribute('data-films') ? Number(m.getAttribute('data-films')) : null,
          x: m.hasAttribute('data-x') ? Number(m.getAttribute('data-x')) : null,
          y: m.hasAttribute('data-y') ? Number(m.getAttribute('data-y')) : null,
        }));
      }
      // Tables drawn as rows (the country table): one entry per row, as for a chart.
      for (const t of document.querySelectorAll('table[data-table]')) {
        charts[t.getAttribute('data-table')] = [...t.querySelectorAll('tr.mark')].map((m) => ({
          key: m.getAttribute('data-key'),
          label: m.getAttribute('data-label'),
          value: Number(m.getAttribute('data-value')),
          rating: m.hasAttribute('data-rating') ? Number(m.getAttribute('data-rating')) : null,
        }));
      }
      const kpis = {};
      for (const e of document.querySelectorAll('[data-kpi]')) {
        const v = e.getAttribute('data-value');
        kpis[e.getAttribute('data-kpi')] = v === null || v === '' ? null : Number(v);
      }
      const box = document.querySelector('[data-freshness]');
      const sources = { imdb: box && box.getAttribute('data-imdb-files-date'), tmdb: box && box.getAttribute('data-tmdb-collected-on'),
        newest: box && box.getAttribute('data-newest-year-note'),
        population: box && box.getAttribute('data-population-note'),
        setAside: box && box.getAttribute('data-set-aside-note') };
      return { charts, kpis, sources };
    });
    // The detail of the first best film, as a click on its bar shows it.
    // The page's total lines are keyed by the choice itself.
    out[s.name].country = s.country;
    out[s.name].detail = null;
    if (await page.$('svg[data-chart="best-films"] .mark[data-key]')) {
      await page.click('button[data-sheet="popularity"]');
      await page.click('svg[data-chart="best-films"] .mark[data-key]');
      await page.waitForSelector('#film-detail:not([hidden])', { timeout: TIMEOUT });
      out[s.name].detail = await page.evaluate(() => {
        const box = document.getElementById('film-detail');
        const facts = {};
        for (const dd of box.querySelectorAll('dd[data-fact]')) {
          const v = dd.getAttribute('data-value');
          const fact = dd.getAttribute('data-fact');
          facts[fact] = v === null ? null : fact === 'role' ? v : fact === 'countries' ? JSON.parse(v) : Number(v);
        }
        return { label: box.getAttribute('data-film-label'), facts,
          cast: [...box.querySelectorAll('li[data-artist]')].map((li) => li.getAttribute('data-artist')) };
      });
      await page.click('#film-detail-close');
    }
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  process.stdout.write(JSON.stringify(out));
} catch (err) {
  console.error(`figures FAILED: ${(err && err.stack) || err}`);
  process.exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
