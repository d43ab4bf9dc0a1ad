// Headless-browser test of a filled-in local dashboard (the output of `cinelake dashboard`).
//
//   cd dashboards/test && npm ci        # once: playwright-core, no browser download
//   node dashboards/test/browser.mjs <dashboard.html> <screenshot-dir>
//
// Uses the system Chromium (CHROMIUM, default /usr/bin/chromium) with an empty temporary
// profile. Checks: no console errors, page errors or non-file requests; the page opens on
// South America (on a lake with at least 30 Brazilian films); every chart of every sheet
// drawn with marks; KPIs that look like money; the sources' dates and TMDB's attribution
// on every sheet; the filters change what is shown (each Popularity chart with the
// country, the "last N years" filter, and a filter that matches nothing says so); with
// all countries, all years and 1,000 votes the page agrees with the SQL views embedded in
// the file. Saves popularity.png, trends.png and financial.png as the page opens (South
// America; full page, 1366x900 viewport). Exit status 0 on success, 1 on a failure (with
// a message saying what), 2 on bad usage.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHEETS = {
  popularity: ['best-films', 'most-voted', 'most-popular', 'popularity-by-year', 'country-share'],
  trends: ['region-by-year', 'trend-votes', 'trend-rating', 'trend-tmdb-rating', 'trend-releases', 'tmdb-popularity-time',
    'tmdb-votes-time'],
  financial: ['budget-revenue', 'top-profits', 'investment-rating'],
};
const MIN_BRAZILIAN_FILMS = 30;
const ATTRIBUTION = 'This product uses the TMDB API but is not endorsed or certified by TMDB';
const ALL_CHARTS = Object.values(SHEETS).flat();
// Charts that follow the region or country chosen (the region comparison does not).
const FOLLOW_COUNTRY = ALL_CHARTS.filter((n) => n !== 'region-by-year');
// Charts over collection dates, not release years: the year filters change their values.
const OVER_TIME = ['tmdb-popularity-time', 'tmdb-votes-time'];
const BY_YEAR_TRENDS = SHEETS.trends.filter((n) => !OVER_TIME.includes(n));
const KPIS = ['total-budget', 'total-revenue', 'total-profit'];
const MONEY = /^-?\$\d+(\.\d+)?[KMBT]?$/;
const NO_MATCH = /no films match/i;
const TIMEOUT = 15000;

class Failure extends Error {}
function fail(msg) { throw new Failure(msg); }
function check(cond, msg) { if (!cond) fail(msg); }
function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

const [htmlArg, shotArg] = process.argv.slice(2);
if (!htmlArg || !shotArg) {
  console.error('usage: node browser.mjs <dashboard.html> <screenshot-dir>');
  process.exit(2);
}
const htmlPath = path.resolve(htmlArg);
if (!existsSync(htmlPath) || !statSync(htmlPath).isFile()) {
  console.error(`browser test: no such file: ${htmlPath}`);
  process.exit(2);
}
const shotDir = path.resolve(shotArg);
mkdirSync(shotDir, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`browser test: no Chromium at ${executablePath} (set CHROMIUM, or apt-get install chromium)`);
  process.exit(2);
}
const fileUrl = pathToFileURL(htmlPath).href;

const consoleErrors = [];
const pageErrors = [];
const foreignRequests = [];
let step = 'launch';

function assertClean() {
  const lines = [
    ...pageErrors.map((e) => `page error: ${e}`),
    ...consoleErrors.map((e) => `console error: ${e}`),
    ...foreignRequests.map((u) => `request to a non-file URL: ${u}`),
  ];
  if (lines.length) fail(`${lines.length} problem(s) in the page:\n  ${lines.join('\n  ')}`);
}

// Runs an action that changes the filters and waits for the page to render again.
async function rerender(page, action) {
  const before = await page.evaluate(() => document.body.dataset.renderCount || '');
  await action();
  try {
    await page.waitForFunction((b) => (document.body.dataset.renderCount || '') !== b, before, { timeout: TIMEOUT });
  } catch {
    assertClean();
    fail(`the page did not render again after the filter changed (render count stayed ${before || 'unset'})`);
  }
  assertClean();
}

async function chartInfo(page, name) {
  return page.evaluate((n) => {
    const all = document.querySelectorAll(`svg[data-chart="${n}"]`);
    if (all.length !== 1) return { count: all.length };
    const svg = all[0];
    const marks = [...svg.querySelectorAll('.mark')];
    return {
      count: 1,
      marks: marks.length,
      dots: svg.querySelectorAll('circle.mark').length,
      empty: svg.hasAttribute('data-empty'),
      text: [...svg.querySelectorAll('text')].map((t) => t.textContent).join(' ').replace(/\s+/g, ' ').trim().slice(0, 200),
      keys: marks.map((m) => m.getAttribute('data-key')),
      labels: marks.map((m) => m.getAttribute('data-label')),
      values: marks.map((m) => Number(m.getAttribute('data-value'))),
      votes: marks.map((m) => Number(m.getAttribute('data-votes'))),
      sa: marks.map((m) => m.getAttribute('data-sa')),
      titles: marks.map((m) => m.getAttribute('data-title')),
      total: Number(svg.getAttribute('data-total')),
    };
  }, name);
}

async function kpis(page) {
  return page.evaluate((names) => Object.fromEntries(names.map((n) => {
    const e = document.querySelector(`[data-kpi="${n}"]`);
    return [n, e ? e.textContent.trim() : null];
  })), KPIS);
}

async function showSheet(page, sheet) {
  await page.click(`button[data-sheet="${sheet}"]`);
  await page.waitForSelector(`section[data-sheet-panel="${sheet}"]`, { state: 'visible', timeout: TIMEOUT })
    .catch(() => fail(`sheet ${sheet}: its section did not become visible after clicking its button`));
  for (const other of Object.keys(SHEETS)) {
    const visible = await page.isVisible(`section[data-sheet-panel="${other}"]`);
    check(visible === (other === sheet), `sheet ${sheet}: section ${other} is ${visible ? 'visible' : 'hidden'}`);
  }
  check(new URL(page.url()).hash === `#${sheet}`, `sheet ${sheet}: URL hash is "${new URL(page.url()).hash}"`);
}

// The view's rows as objects.
function rowsOf(data, name) {
  const v = data && data.views && data.views[name];
  if (!v || !Array.isArray(v.columns) || !Array.isArray(v.rows)) fail(`the embedded data has no view ${name}`);
  return v.rows.map((r) => Object.fromEntries(v.columns.map((c, i) => [c, r[i]])));
}

async function run() {
  const profile = mkdtempSync(path.join(tmpdir(), 'cinelake-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
    });
    context.on('request', (req) => {
      // A CSV download is a blob: URL the page made; anything else off file: is foreign.
      if (!/^(file|blob):/.test(req.url())) foreignRequests.push(req.url());
    });
    await context.route((url) => url.protocol !== 'file:' && url.protocol !== 'blob:', (route) => route.abort());
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${step})`);
    });
    page.on('pageerror', (err) => pageErrors.push(`${err.message} (${step})`));

    // ---------------------------------------------------------------- load
    step = 'load';
    await page.goto(fileUrl, { waitUntil: 'load', timeout: TIMEOUT });
    try {
      await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: TIMEOUT });
    } catch {
      assertClean();
      fail('the page never set document.body.dataset.ready = "1" (first render not done)');
    }
    assertClean();
    const data = await page.evaluate(() => (typeof CINELAKE === 'undefined' ? null : CINELAKE));
    check(data && typeof data === 'object', 'the page holds no embedded data (CINELAKE is null: an unfilled template?)');
    check(data.views && typeof data.views === 'object', 'the embedded data has no "views" object');
    for (const name of ALL_CHARTS) {
      const info = await chartInfo(page, name);
      check(info.count === 1, `expected exactly one svg[data-chart="${name}"], found ${info.count}`);
    }
    check(await page.isVisible('section[data-sheet-panel="popularity"]'), 'popularity is not the default sheet');

    // ---------------------------------------------------------------- 1: South America first
    step = 'South America default';
    const summary = [];
    const filmCountry = rowsOf(data, 'v_film_country');
    const brazil = new Set(filmCountry.filter((r) => r.country_code === 'BR').map((r) => r.film_id));
    check(brazil.size >= MIN_BRAZILIAN_FILMS,
      `the lake has ${brazil.size} Brazilian films; this test needs at least ${MIN_BRAZILIAN_FILMS}`);
    const saCodes = new Set(filmCountry.filter((r) => r.region === 'South America').map((r) => r.country_code));
    const chosen = await page.$eval('#f-country', (e) => e.value);
    check(chosen === 'SOUTH_AMERICA', `the page opens on "${chosen}", not on South America (SA)`);
    for (const name of ['best-films', 'most-voted', 'most-popular']) {
      const info = await chartInfo(page, name);
      check(info.marks > 0 && info.sa.every((v) => v === '1'),
        `opened on South America, ${name} shows a film without a South American country (${JSON.stringify(info.sa)})`);
    }
    const shareSa = await chartInfo(page, 'country-share');
    const topProfitsSa = await chartInfo(page, 'top-profits');
    check(shareSa.marks > 0 && shareSa.keys.every((k) => saCodes.has(k)),
      `opened on South America, country-share shows ${JSON.stringify(shareSa.keys)}`);
    const bestSub = await page.$eval('[data-sub="best-films"]', (e) => e.textContent);
    check(/South America/.test(bestSub), `the best-films subtitle does not say South America: "${bestSub}"`);
    const sources0 = await page.$eval('[data-freshness]', (e) => e.textContent);
    summary.push(`opens on South America (${brazil.size} Brazilian films in the lake): ` +
      `country-share ${shareSa.keys.join(' ')}`);

    // ---------------------------------------------------------------- 2, 5: sheets, defaults
    for (const [sheet, charts] of Object.entries(SHEETS)) {
      step = `sheet ${sheet}`;
      await showSheet(page, sheet);
      const counts = [];
      for (const name of charts) {
        check(await page.isVisible(`svg[data-chart="${name}"]`), `${sheet}: chart ${name} is not visible`);
        const info = await chartInfo(page, name);
        check(info.marks > 0, `${sheet}: chart ${name} has no marks (it shows: "${info.text}")`);
        check(!info.empty, `${sheet}: chart ${name} is marked empty under the default filters`);
        counts.push(`${name} ${info.marks}`);
      }
      if (sheet === 'financial') {
        const k = await kpis(page);
        for (const n of KPIS) {
          check(k[n] !== null, `financial: no [data-kpi="${n}"]`);
          check(MONEY.test(k[n]), `financial: KPI ${n} does not look like money: "${k[n]}"`);
          check(await page.isVisible(`[data-kpi="${n}"]`), `financial: KPI ${n} is not visible`);
        }
        counts.push(`KPIs ${KPIS.map((n) => k[n]).join(' / ')}`);
      }
      // The population: the rule in words, the films of interest and those TMDB
      // matched, then how many films this sheet shows.
      const population = await page.$eval(`[data-population="${sheet}"]`, (e) => e.textContent);
      check(await page.isVisible(`[data-population="${sheet}"]`), `${sheet}: the population line is not visible`);
      check(/Drama/.test(population) && /2000/.test(population) && /This sheet: [\d,]+ films?/.test(population),
        `${sheet}: the population line lacks the rule or the sheet's count: "${population}"`);
      const sources = await page.$eval('[data-freshness]', (e) => e.textContent);
      check(await page.isVisible('[data-freshness]'), `${sheet}: where the figures come from is not visible`);
      check(/IMDb files of \d{4}-\d\d-\d\d/.test(sources) && /TMDB collected \d{4}-\d\d-\d\d/.test(sources),
        `${sheet}: the sources line lacks the IMDb files' or the TMDB collection's date: "${sources}"`);
      const attribution = await page.$eval('[data-attribution]', (e) => e.textContent.replace(/\s+/g, ' '));
      check(attribution.includes(ATTRIBUTION), `${sheet}: no TMDB attribution ("${attribution}")`);
      check(await page.isVisible('[data-attribution]'), `${sheet}: the TMDB attribution is not visible`);
      await page.screenshot({ path: path.join(shotDir, `${sheet}.png`), fullPage: true });
      const total = counts.reduce((s, c) => s + (Number(c.split(' ').pop()) || 0), 0);
      summary.push(`${sheet}: ${charts.length} charts, ${total} marks (${counts.join(', ')}) -> ${sheet}.png`);
      assertClean();
    }

    // ---------------------------------------------------------------- South America: the new controls
    step = 'South America: the minimum rating, co-productions, the median popularity';
    await showSheet(page, 'popularity');
    // The popularity by year is a median, and each point carries its number of films.
    const medianDots = await page.$$eval('svg[data-chart="popularity-by-year"] circle.mark',
      (ds) => ds.map((d) => [d.getAttribute('data-films'), d.querySelector('title') && d.querySelector('title').textContent]));
    check(medianDots.length > 0 && medianDots.every(([n, t]) => Number(n) > 0 && /median/.test(t) && /\(\d[\d,]* films\)/.test(t)),
      `popularity-by-year: a point lacks its median or its number of films: ${JSON.stringify(medianDots.slice(0, 2))}`);
    const popSub = await page.$eval('[data-sub="popularity-by-year"]', (e) => e.textContent);
    check(/median/.test(popSub), `the popularity-by-year subtitle does not say median: "${popSub}"`);
    // A higher minimum rating narrows the best films and says so.
    const best7 = await chartInfo(page, 'best-films');
    await rerender(page, async () => { await page.fill('#f-min-rating', '7.5'); await page.press('#f-min-rating', 'Enter'); });
    const best75 = await chartInfo(page, 'best-films');
    const sub75 = await page.$eval('[data-sub="best-films"]', (e) => e.textContent);
    check(/7\.5/.test(sub75) && /South America/.test(sub75), `the best-films subtitle does not give 7.5 on South America: "${sub75}"`);
    check(best75.values.every((v) => v >= 7.5) && best75.sa.every((v) => v === '1'),
      `at 7.5, best-films shows ${JSON.stringify(best75.values)} (${JSON.stringify(best75.sa)})`);
    check(best7.values.some((v) => v < 7.5) ? best75.keys.join() !== best7.keys.join() : true,
      'the best films did not change with the minimum rating');
    await rerender(page, async () => { await page.fill('#f-min-rating', '7'); await page.press('#f-min-rating', 'Enter'); });
    // Co-productions are one choice away, named, and never mixed in.
    await rerender(page, () => page.selectOption('#f-country', 'CO_PRODUCTION'));
    const bestCo = await chartInfo(page, 'best-films');
    const subCo = await page.$eval('[data-sub="best-films"]', (e) => e.textContent);
    check(/[Cc]o-production/.test(subCo), `the co-production choice is not named in the subtitle: "${subCo}"`);
    check(bestCo.keys.every((k) => !best7.keys.includes(k)),
      `a film is both South American and a co-production: ${bestCo.keys.filter((k) => best7.keys.includes(k))}`);
    await rerender(page, () => page.selectOption('#f-country', 'SOUTH_AMERICA'));
    summary.push(`South America: best films at 7.0 ${best7.marks}, at 7.5 ${best75.marks}; co-productions ${bestCo.marks}; ` +
      `popularity-by-year ${medianDots.length} medians`);
    assertClean();

    // ---------------------------------------------------------------- 4: all countries equal the views
    step = 'all countries against the views';
    await showSheet(page, 'popularity');
    const bestSaInfo = await chartInfo(page, 'best-films');
    const popularitySa = {};
    for (const name of SHEETS.popularity) popularitySa[name] = await chartInfo(page, name);
    const kpiSa = await kpis(page);
    await rerender(page, () => page.selectOption('#f-country', 'ALL'));
    const topViews = rowsOf(data, 'v_top_profits');
    check(topViews.length > 0, 'v_top_profits is empty');
    const tp = await chartInfo(page, 'top-profits');
    const want = topViews.map((r) => r.title);
    check(same(tp.titles, want),
      `top-10 profits differ from v_top_profits:\n  page: ${JSON.stringify(tp.titles)}\n  view: ${JSON.stringify(want)}`);

    const labels = new Map(filmCountry.map((r) => [r.film_id, r.film_label]));
    const label = (r) => labels.get(r.film_id) || '';
    const bestView = rowsOf(data, 'v_best_films')
      .filter((r) => r.imdb_rating !== null && r.imdb_votes !== null)
      .sort((a, b) => (b.imdb_rating - a.imdb_rating) || (b.imdb_votes - a.imdb_votes)
        || (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));
    const best = await chartInfo(page, 'best-films');
    check(best.total === bestView.length, `best list has ${best.total} films, v_best_films ${bestView.length}`);
    const bestWant = bestView.slice(0, best.marks).map((r) => r.film_id);
    check(same(best.keys, bestWant),
      `best films differ from v_best_films:\n  page: ${JSON.stringify(best.keys)}\n  view: ${JSON.stringify(bestWant)}`);

    const shareView = new Map(rowsOf(data, 'v_country_share_best').map((r) => [r.country_code, r.share]));
    const share = await chartInfo(page, 'country-share');
    check(share.marks === Math.min(shareView.size, 25),
      `country-share shows ${share.marks} countries, v_country_share_best has ${shareView.size}`);
    share.keys.forEach((code, i) => {
      check(shareView.has(code), `country-share shows ${code}, which v_country_share_best lacks`);
      check(Math.abs(shareView.get(code) - share.values[i]) < 1e-9,
        `country ${code}: share ${share.values[i]} on the page, ${shareView.get(code)} in the view`);
    });

    const bandView = rowsOf(data, 'v_investment_rating').sort((a, b) => a.band_order - b.band_order);
    const inv = await chartInfo(page, 'investment-rating');
    const invWant = bandView.flatMap((r) => [r.avg_imdb_rating, r.avg_tmdb_rating]).filter((v) => v !== null);
    check(same(inv.values.map((v) => v.toFixed(9)), invWant.map((v) => v.toFixed(9))),
      `investment-rating differs from v_investment_rating: page ${JSON.stringify(inv.values)}, view ${JSON.stringify(invWant)}`);
    summary.push(`defaults equal the views: top-profits ${tp.marks}, best-films ${best.marks} of ${best.total}, ` +
      `country-share ${share.marks}, investment-rating ${bandView.length} bands`);

    // ---------------------------------------------------------------- 3: filters
    step = 'filter: each Popularity chart follows the country';
    await showSheet(page, 'popularity');
    const kpiAll = await kpis(page);
    check(!same(kpiSa, kpiAll), `South America and all countries give the same KPIs (${JSON.stringify(kpiSa)})`);
    const popularityAll = {};
    for (const name of SHEETS.popularity) popularityAll[name] = await chartInfo(page, name);
    await rerender(page, () => page.selectOption('#f-country', 'BR'));
    const popularityBr = {};
    for (const name of SHEETS.popularity) popularityBr[name] = await chartInfo(page, name);
    const differs = (a, b) => !same(a.keys, b.keys) || !same(a.values, b.values);
    for (const name of SHEETS.popularity) {
      check(differs(popularitySa[name], popularityAll[name]),
        `${name} is the same for South America and for all countries`);
      check(differs(popularityBr[name], popularityAll[name]),
        `${name} is the same for Brazil and for all countries`);
      check(differs(popularityBr[name], popularitySa[name]),
        `${name} is the same for Brazil and for South America`);
    }
    for (const name of ['best-films', 'most-voted', 'most-popular']) {
      check(popularityBr[name].keys.every((id) => brazil.has(id)),
        `with Brazil chosen, ${name} shows a film that is not Brazilian`);
    }
    check(same(popularityBr['country-share'].keys, ['BR']),
      `with Brazil chosen, country-share shows ${JSON.stringify(popularityBr['country-share'].keys)}`);
    step = 'filter: TMDB popularity and votes per collection date follow the country';
    const overTime = {};
    for (const c of ['SOUTH_AMERICA', 'ALL', 'BR']) {
      await rerender(page, () => page.selectOption('#f-country', c));
      for (const name of ['tmdb-popularity-time', 'tmdb-votes-time']) {
        const info = await chartInfo(page, name);
        check(info.dots > 0 && info.values.every((v) => Number.isFinite(v) && v >= 0),
          `${c}: ${name} draws no point or a bad value (${JSON.stringify(info.values)})`);
        overTime[`${c} ${name}`] = info;
      }
    }
    for (const name of ['tmdb-popularity-time', 'tmdb-votes-time']) {
      for (const [a, b] of [['SOUTH_AMERICA', 'ALL'], ['BR', 'ALL'], ['BR', 'SOUTH_AMERICA']]) {
        check(!same(overTime[`${a} ${name}`].values, overTime[`${b} ${name}`].values),
          `${name} is the same for ${a} and ${b}`);
      }
    }
    summary.push(`TMDB figures per collection date (SA / all / BR): popularity ` +
      ['SOUTH_AMERICA', 'ALL', 'BR'].map((c) => overTime[`${c} tmdb-popularity-time`].values.filter((v, i) => /:/.test(overTime[`${c} tmdb-popularity-time`].keys[i] || '')).map((v) => v.toFixed(2)).join(',')).join(' / '));
    await rerender(page, () => page.selectOption('#f-country', 'ALL'));
    summary.push(`filter South America / all / Brazil: best-films ${bestSaInfo.marks} / ${best.marks} / ` +
      `${popularityBr['best-films'].marks} marks, every Popularity chart changes; total profit ` +
      `${kpiSa['total-profit']} (South America) / ${kpiAll['total-profit']} (all)`);

    step = 'filter: min votes';
    const raised = Math.max(...best.votes) + 1;
    await rerender(page, () => page.fill('#f-min-votes', String(raised)));
    const bestRaised = await chartInfo(page, 'best-films');
    check(bestRaised.total < best.total,
      `raising min votes to ${raised} did not shrink the best list (${best.total} -> ${bestRaised.total})`);
    check(!same(bestRaised.keys, best.keys), `raising min votes to ${raised} did not change the best-films chart`);
    await rerender(page, () => page.fill('#f-min-votes', '1000'));
    summary.push(`filter min votes ${raised}: best list ${best.total} -> ${bestRaised.total} films`);

    step = 'filter: year range';
    await showSheet(page, 'trends');
    const years = await page.$$eval('#f-year-from option', (os) => os.map((o) => o.value));
    check(years.length > 1, `the year filter offers ${years.length} year(s)`);
    const before = {};
    for (const n of BY_YEAR_TRENDS) before[n] = (await chartInfo(page, n)).dots;
    const beforeTime = {};
    for (const n of OVER_TIME) beforeTime[n] = await chartInfo(page, n);
    const trendYears = [...new Set(rowsOf(data, 'v_trends_year_country').map((r) => r.release_year))].sort((a, b) => a - b);
    check(trendYears.length > 1, `v_trends_year_country covers ${trendYears.length} year(s)`);
    const cut = String(trendYears[Math.floor(trendYears.length / 2)]);
    await rerender(page, () => page.selectOption('#f-year-from', cut));
    for (const n of OVER_TIME) {
      const after = await chartInfo(page, n);
      check(after.dots === beforeTime[n].dots && !same(after.values, beforeTime[n].values),
        `year range from ${cut}: ${n} did not change (${JSON.stringify(beforeTime[n].values)} -> ${JSON.stringify(after.values)})`);
    }
    for (const n of BY_YEAR_TRENDS) {
      const after = await chartInfo(page, n);
      check(after.dots > 0 && after.dots < before[n],
        `year range from ${cut}: ${n} points went ${before[n]} -> ${after.dots} (expected fewer, not none)`);
    }
    const after = await chartInfo(page, 'trend-releases');
    summary.push(`filter years from ${cut}: trend-releases points ${before['trend-releases']} -> ${after.dots}`);
    await rerender(page, () => page.click('#f-reset'));
    check(await page.$eval('#f-country', (e) => e.value) === 'SOUTH_AMERICA', 'Reset does not go back to South America');

    step = 'filter: last N years';
    await rerender(page, () => page.selectOption('#f-country', 'ALL'));
    // Counted back from the newest release year in the data (v_data_freshness), not
    // from the clock.
    const freshness = rowsOf(data, 'v_data_freshness')[0];
    const newest = freshness.newest_release_year;
    check(newest === Math.max(...trendYears), `the newest release year is ${newest}, the trends end in ${Math.max(...trendYears)}`);
    const note = await page.$eval('#sources', (e) => e.textContent);
    check(note.includes(freshness.newest_year_note), `the sources do not say "${freshness.newest_year_note}": "${note}"`);
    const since = Number(cut);
    const lastN = newest - since + 1;
    const yearOf = (key) => Number(String(key).split(':').pop());
    const withYears = [...BY_YEAR_TRENDS, 'popularity-by-year'];
    const beforeLast = {};
    for (const n of withYears) beforeLast[n] = await chartInfo(page, n);
    const bestBeforeLast = await chartInfo(page, 'best-films');
    await rerender(page, () => page.fill('#f-last-years', String(lastN)));
    for (const n of withYears) {
      const info = await chartInfo(page, n);
      const dotYears = info.keys.filter((k) => /:\d+$/.test(k || '')).map(yearOf);
      check(info.dots > 0 && info.dots < beforeLast[n].dots,
        `last ${lastN} years: ${n} points went ${beforeLast[n].dots} -> ${info.dots} (expected fewer, not none)`);
      check(dotYears.every((y) => y >= since && y <= newest),
        `last ${lastN} years (from ${since}): ${n} shows years ${JSON.stringify([...new Set(dotYears)])}`);
    }
    const bestLast = await chartInfo(page, 'best-films');
    check(bestLast.total < bestBeforeLast.total,
      `last ${lastN} years did not shrink the best list (${bestBeforeLast.total} -> ${bestLast.total})`);
    const lastSub = await page.$eval('[data-sub="best-films"]', (e) => e.textContent);
    check(lastSub.includes(`the last ${lastN} release years to ${newest}`),
      `the best-films subtitle does not name the last ${lastN} release years to ${newest}: "${lastSub}"`);
    await rerender(page, () => page.fill('#f-last-years', ''));
    summary.push(`filter last ${lastN} years (${since} to ${newest}): best list ${bestBeforeLast.total} -> ` +
      `${bestLast.total} films, trend-releases points ${beforeLast['trend-releases'].dots} -> ` +
      `${(await chartInfo(page, 'trend-releases')).dots} after clearing`);

    step = 'filter: nothing matches';
    // A country and a year in which it released nothing, from the embedded v_film_country.
    const byCountry = new Map();
    for (const r of rowsOf(data, 'v_film_country')) {
      if (!byCountry.has(r.country_code)) byCountry.set(r.country_code, new Set());
      byCountry.get(r.country_code).add(r.release_year);
    }
    const countryOptions = await page.$$eval('#f-country option', (os) => os.map((o) => o.value));
    let choice = null;
    for (const [code, ys] of byCountry) {
      if (!countryOptions.includes(code)) continue;
      const y = years.find((v) => !ys.has(Number(v)));
      if (y !== undefined) { choice = { code, year: y }; break; }
    }
    if (choice) {
      await rerender(page, () => page.selectOption('#f-country', choice.code));
      await rerender(page, () => page.selectOption('#f-year-from', choice.year));
      await rerender(page, () => page.selectOption('#f-year-to', choice.year));
      for (const [sheet, charts] of Object.entries(SHEETS)) {
        await showSheet(page, sheet);
        for (const name of charts.filter((n) => FOLLOW_COUNTRY.includes(n))) {
          check(await page.isVisible(`svg[data-chart="${name}"]`), `no match: chart ${name} is not visible`);
          const info = await chartInfo(page, name);
          check(info.marks === 0, `no match (${choice.code}, ${choice.year}): ${name} still has ${info.marks} marks`);
          check(NO_MATCH.test(info.text), `no match (${choice.code}, ${choice.year}): ${name} shows "${info.text}"`);
        }
      }
      summary.push(`filter ${choice.code} in ${choice.year} (no films): all ${FOLLOW_COUNTRY.length} charts that follow ` +
        'the country say "no films match"');
    } else {
      await rerender(page, () => page.fill('#f-min-votes', '1000000000000'));
      for (const name of ['best-films', 'most-voted', 'most-popular', 'country-share']) {
        const info = await chartInfo(page, name);
        check(info.marks === 0 && NO_MATCH.test(info.text), `min votes 1e12: ${name} shows "${info.text}"`);
      }
      summary.push('filter min votes 1e12 (no films): the best list says "no films match"');
    }

    step = 'reset';
    await rerender(page, () => page.click('#f-reset'));
    const tpAgain = await chartInfo(page, 'top-profits');
    check(same(tpAgain.keys, topProfitsSa.keys), 'after Reset, top-10 profits are not those South America opened with');
    await rerender(page, () => page.selectOption('#f-country', 'ALL'));
    const tpAll = await chartInfo(page, 'top-profits');
    check(same(tpAll.titles, want), 'after Reset and all countries, top-10 profits no longer equal v_top_profits');

    step = 'CSV download';
    // The CSV of a chart is what it draws: one line per mark, in its order.
    await page.click('button[data-sheet="popularity"]');
    const bestNow = await chartInfo(page, 'best-films');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }),
      page.click('[data-csv="best-films"]')]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    check(download.suggestedFilename() === 'cinelake-best-films.csv', `the CSV is named ${download.suggestedFilename()}`);
    check(csv[0] === 'key,label,value,films', `the CSV's header is "${csv[0]}"`);
    check(csv.length - 1 === bestNow.marks && csv.slice(1).every((line, i) => line.startsWith(`${bestNow.keys[i]},`)),
      `the best-films CSV has ${csv.length - 1} lines for ${bestNow.marks} bars: ${csv.slice(0, 3).join(' / ')}`);
    const buttons = await page.$$eval('button[data-csv]', (bs) => bs.map((b) => b.getAttribute('data-csv')));
    check(Object.values(SHEETS).flat().every((n) => buttons.includes(n)), `charts without a CSV button: ${JSON.stringify(buttons)}`);
    // The tables download as they show: the header, then one line per row.
    const [tableDownload] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }),
      page.click('[data-csv="country-table"]')]);
    const tableCsv = readFileSync(await tableDownload.path(), 'utf8').trim().split('\n');
    const tableRows = await page.$$eval('table[data-table="country-table"] tbody tr', (rs) => rs.length);
    check(tableCsv[0].startsWith('Country,Films,') && tableCsv.length - 1 === tableRows,
      `the country table's CSV has ${tableCsv.length - 1} lines for ${tableRows} rows: ${tableCsv.slice(0, 2).join(' / ')}`);
    check(buttons.includes('budget-bands'), `the budget-band table has no CSV button: ${JSON.stringify(buttons)}`);
    summary.push(`CSV download: best-films, ${csv.length - 1} lines; the country table, ${tableRows} rows; ` +
      `a button on each of ${buttons.length} charts and tables`);

    step = 'film detail';
    // A click on a ranked film shows its detail: its label and its cast from v_film_cast.
    await page.click('button[data-sheet="popularity"]');
    const firstBest = await page.$eval('svg[data-chart="best-films"] .mark[data-key]',
      (m) => ({ id: m.getAttribute('data-key'), label: m.getAttribute('data-label') }));
    await page.click(`svg[data-chart="best-films"] .mark[data-key="${firstBest.id}"]`);
    await page.waitForSelector('#film-detail:not([hidden])', { timeout: 5000 });
    const shownDetail = await page.$eval('#film-detail', (b) => ({ label: b.getAttribute('data-film-label'),
      cast: [...b.querySelectorAll('li[data-artist]')].map((li) => li.getAttribute('data-artist')) }));
    const castWant = rowsOf(data, 'v_film_cast').filter((r) => r.film_id === firstBest.id).map((r) => r.artist_name).sort();
    check(shownDetail.label === firstBest.label, `the detail shows "${shownDetail.label}", not "${firstBest.label}"`);
    check(same([...shownDetail.cast].sort(), castWant), `the detail's cast ${JSON.stringify(shownDetail.cast)} is not v_film_cast's ${JSON.stringify(castWant)}`);
    await page.click('#film-detail-close');
    check(await page.$eval('#film-detail', (b) => b.hidden), 'Close does not hide the detail');
    // The Financial rankings open the same detail.
    await page.click('button[data-sheet="financial"]');
    const firstProfit = await page.$eval('svg[data-chart="top-profits"] .mark[data-key]',
      (m) => ({ id: m.getAttribute('data-key'), label: m.getAttribute('data-label') }));
    await page.click(`svg[data-chart="top-profits"] .mark[data-key="${firstProfit.id}"]`);
    await page.waitForSelector('#film-detail:not([hidden])', { timeout: 5000 });
    const profitDetail = await page.$eval('#film-detail', (b) => b.getAttribute('data-film-label'));
    check(profitDetail === firstProfit.label, `top-profits opens the detail of "${profitDetail}", not "${firstProfit.label}"`);
    await page.click('#film-detail-close');
    await page.click('button[data-sheet="popularity"]');
    summary.push(`film detail: ${firstBest.label}, ${shownDetail.cast.length} artists; from top profits: ${firstProfit.label}`);

    step = 'country table';
    // A click on a row chooses its country; a click on a heading sorts by it.
    await rerender(page, () => page.selectOption('#f-country', 'ALL'));
    const rowsOfTable = () => page.$$eval('[data-table="country-table"] tr.mark',
      (trs) => trs.map((t) => ({ key: t.getAttribute('data-key'), label: t.getAttribute('data-label'), films: Number(t.getAttribute('data-value')) })));
    const byFilms = await rowsOfTable();
    check(byFilms.length > 1 && byFilms.every((r, i) => i === 0 || byFilms[i - 1].films >= r.films),
      `the country table is not sorted by films: ${JSON.stringify(byFilms.slice(0, 4))}`);
    await rerender(page, () => page.click('[data-table="country-table"] th[data-sort="name"]'));
    const byName = (await rowsOfTable()).map((r) => r.label);
    check(same(byName, [...byName].sort()), `sorting by country gives ${JSON.stringify(byName.slice(0, 4))}`);
    const pick = byFilms.find((r) => r.key !== 'NONE');
    await rerender(page, () => page.click(`[data-table="country-table"] tr[data-key="${pick.key}"]`));
    check(await page.$eval('#f-country', (e) => e.value) === pick.key, `a click on ${pick.label} does not choose it`);
    const afterPick = await rowsOfTable();
    check(afterPick.length === 1 && afterPick[0].key === pick.key, `after choosing ${pick.label} the table shows ${JSON.stringify(afterPick)}`);
    summary.push(`country table: ${byFilms.length} countries, sorted by films and by name; a click chose ${pick.label}`);
    await rerender(page, () => page.click('#f-reset'));

    step = 'hash navigation';
    await page.goto(`${fileUrl}#financial`, { waitUntil: 'load', timeout: TIMEOUT });
    await page.reload({ waitUntil: 'load', timeout: TIMEOUT });
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: TIMEOUT });
    check(await page.isVisible('section[data-sheet-panel="financial"]'), 'opening the file at #financial does not show Financial');
    check(!(await page.isVisible('section[data-sheet-panel="popularity"]')), 'opening at #financial also shows Popularity');
    assertClean();

    step = 'stale IMDb files';
    const fresh = await page.$eval('[data-freshness]', (e) => e.getAttribute('data-stale'));
    check(fresh === '0', `the page's own IMDb files are reported stale (data-stale="${fresh}")`);
    const staleCopy = path.join(profile, 'stale.html');
    const html = readFileSync(htmlPath, 'utf8');
    const staleHtml = html.replace(/("v_data_freshness":\{"columns":\[[^\]]*\],"rows":\[\[)"\d{4}-\d\d-\d\d"/,
      '$1"2001-01-01"');
    check(staleHtml !== html, 'cannot find the IMDb files\' date in the embedded v_data_freshness');
    writeFileSync(staleCopy, staleHtml);
    await page.goto(pathToFileURL(staleCopy).href, { waitUntil: 'load', timeout: TIMEOUT });
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: TIMEOUT });
    const staleText = await page.$eval('[data-freshness]', (e) => e.textContent);
    check(/Warning: the IMDb files are \d+ days old, older than \d+ days/.test(staleText),
      `IMDb files of 2001-01-01 give no warning: "${staleText}"`);
    assertClean();
    summary.push(`sources: "${sources0}"; with IMDb files of 2001-01-01: "${staleText.split('.')[0]}"`);

    for (const line of summary) console.log(line);
    console.log(`browser test passed: ${htmlPath}`);
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

try {
  await run();
} catch (err) {
  const msg = err instanceof Failure ? err.message : (err && err.stack) || String(err);
  console.error(`browser test FAILED (${step}): ${msg}`);
  const extra = [...pageErrors.map((e) => `page error: ${e}`), ...consoleErrors.map((e) => `console error: ${e}`)];
  if (extra.length && !(err instanceof Failure && /problem\(s\) in the page/.test(err.message))) {
    console.error(`  also seen:\n  ${extra.join('\n  ')}`);
  }
  process.exit(1);
}
