#!/usr/bin/env node
// Loads a Muta site bundle in CesiumJS in headless Chromium, fully offline, and prints one JSON
// object (used by tests/export_cesium_test.cpp):
//
//   node run.js SITE --out DIR [--view NAME[,NAME...]|all] [--width 960] [--height 640]
//               [--lon 113.1797] [--lat 39.5650] [--height-m 0] [--no-style]
//               [--sse 16] [--timeout-ms 180000] [--chromium /usr/bin/chromium]
//
// A local HTTP server on 127.0.0.1 (a free port) serves page/ at /, Cesium's Build/Cesium at
// /cesium/ and SITE at /site/. Chromium (Debian's, through puppeteer-core; no browser is
// downloaded) renders WebGL in software (SwiftShader). Every request that does not go to that
// server is blocked and reported: no Cesium ion, imagery, terrain or other network access.
//
// The page places the z-up tileset at --lon/--lat (default: the Yingxian Wooden Pagoda) with an
// east-north-up modelMatrix, styles triangles by their provenance metadata (observed grey,
// inferred orange, unknown magenta; --no-style keeps the glTF materials), and for each viewpoint
// of site.json (the first one, the named ones, or all) waits until tileset.tilesLoaded (with
// maximumScreenSpaceError --sse pixels; small values load the leaves), takes a
// screenshot DIR/cesium_NAME.png and measures its pixels.
//
// Output: {"ok", "cesium_version", "chromium_version", "load": {...}, "views": [{"view",
// "screenshot", "tiles_loaded", "tiles_selected", "triangles_drawn", "pixels": {"drawn_fraction",
// "centre_drawn_fraction", "inferred_fraction", "unknown_fraction", ...}}], "errors": [...],
// "blocked_requests": [...], "seconds"}. Exit code 0 when every view loaded and drew the model
// with no errors, 1 when not, 2 when it could not run (usage, no Chromium, unreadable site).
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const kDefaults = {
  out: null,
  view: null,
  width: 960,
  height: 640,
  lon: 113.1797,  // Yingxian Wooden Pagoda
  lat: 39.565,
  'height-m': 0,
  style: true,
  sse: 16,
  'timeout-ms': 180000,
  chromium: process.env.MUTA_CHROMIUM || '/usr/bin/chromium',
};

function usage(message) {
  process.stderr.write(`run.js: ${message}\nusage: node run.js SITE --out DIR [--view NAME[,NAME]|all] ` +
    '[--width N] [--height N] [--lon DEG] [--lat DEG] [--height-m M] [--no-style] [--sse PX] ' +
    '[--timeout-ms MS] [--chromium PATH]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { ...kDefaults, site: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--no-style') {
      o.style = false;
    } else if (a.startsWith('--')) {
      const key = a.slice(2);
      if (!(key in kDefaults) || i + 1 >= argv.length) usage(`bad option ${a}`);
      const v = argv[++i];
      o[key] = typeof kDefaults[key] === 'number' ? Number(v) : v;
      if (typeof kDefaults[key] === 'number' && !Number.isFinite(o[key])) usage(`${a} needs a number`);
    } else if (o.site === null) {
      o.site = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (o.site === null) usage('no SITE given');
  if (o.out === null) usage('no --out DIR given');
  return o;
}

const kMime = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.glb': 'model/gltf-binary', '.gltf': 'model/gltf+json', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.wasm': 'application/wasm', '.ktx2': 'image/ktx2',
  '.xml': 'application/xml', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream',
};

// Serves `roots` (URL prefix -> folder); never outside a root.
function serve(roots) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    for (const [prefix, dir] of roots) {
      if (!url.startsWith(prefix)) continue;
      let file = path.join(dir, url.slice(prefix.length));
      if (file !== dir && !file.startsWith(dir + path.sep)) break;
      if (file.endsWith(path.sep) || file === dir) file = path.join(file, 'index.html');
      fs.readFile(file, (err, data) => {
        if (err) {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end(`not found: ${url}`);
          return;
        }
        res.writeHead(200, {
          'Content-Type': kMime[path.extname(file).toLowerCase()] || 'application/octet-stream',
          'Cache-Control': 'no-store',
        });
        res.end(data);
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end(`not found: ${url}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const started = Date.now();
  const o = parseArgs(process.argv.slice(2));
  const site = path.resolve(o.site);
  const out = path.resolve(o.out);
  let siteJson;
  try {
    siteJson = JSON.parse(fs.readFileSync(path.join(site, 'site.json'), 'utf8'));
    fs.accessSync(path.join(site, 'tileset.json'), fs.constants.R_OK);
  } catch (e) {
    usage(`${site} is not a readable site bundle (site.json, tileset.json): ${e.message}`);
  }
  const viewpoints = Array.isArray(siteJson.viewpoints) ? siteJson.viewpoints : [];
  if (viewpoints.length === 0) usage(`${site}/site.json has no viewpoints`);
  let views;
  if (o.view === 'all') {
    views = viewpoints;
  } else if (o.view) {
    views = o.view.split(',').map((name) => {
      const v = viewpoints.find((w) => w.name === name);
      if (!v) usage(`${site}/site.json has no viewpoint "${name}" (${viewpoints.map((w) => w.name).join(', ')})`);
      return v;
    });
  } else {
    views = [viewpoints[0]];
  }
  if (!fs.existsSync(o.chromium)) usage(`no Chromium at ${o.chromium} (install Debian's chromium, or pass --chromium)`);
  let puppeteer;
  let cesiumDir;
  try {
    puppeteer = require('puppeteer-core');
    cesiumDir = path.join(path.dirname(require.resolve('cesium/package.json')), 'Build', 'Cesium');
  } catch (e) {
    usage(`node_modules missing (run tools/cesium/install.sh): ${e.message}`);
  }
  fs.mkdirSync(out, { recursive: true });

  const server = await serve([
    ['/cesium/', cesiumDir],
    ['/site/', site],
    ['/', path.join(__dirname, 'page')],
  ]);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const report = { ok: false, cesium_version: null, chromium_version: null, load: null, views: [],
                   errors: [], blocked_requests: [], seconds: 0 };
  const args = [
    '--headless=new', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--ignore-gpu-blocklist', '--disable-gpu-sandbox', '--no-first-run', '--no-default-browser-check',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-domain-reliability', '--disable-breakpad', '--mute-audio',
    `--window-size=${o.width},${o.height}`,
  ];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  let browser = null;
  try {
    browser = await puppeteer.launch({
      executablePath: o.chromium, headless: true, args,
      defaultViewport: { width: o.width, height: o.height, deviceScaleFactor: 1 },
      protocolTimeout: o['timeout-ms'] + 60000,
    });
    report.chromium_version = await browser.version();
    report.launch_seconds = (Date.now() - started) / 1000;
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url.startsWith(origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) {
        req.continue();
      } else {
        report.blocked_requests.push(url);
        req.abort('blockedbyclient');
      }
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') report.errors.push({ kind: 'console', message: msg.text() });
    });
    page.on('pageerror', (e) => report.errors.push({ kind: 'page', message: e.message }));
    page.on('response', (res) => {
      if (res.status() >= 400) report.errors.push({ kind: 'http', message: `${res.status()} ${res.url()}` });
    });
    page.on('requestfailed', (req) => {
      if (!report.blocked_requests.includes(req.url())) {
        report.errors.push({ kind: 'request', message: `${req.url()}: ${req.failure() && req.failure().errorText}` });
      }
    });
    await page.goto(`${origin}/index.html`, { waitUntil: 'load', timeout: o['timeout-ms'] });
    report.load = await page.evaluate((opts) => window.muta.load(opts), {
      longitude_deg: o.lon, latitude_deg: o.lat, height_m: o['height-m'], style: o.style,
      sse: o.sse,
    });
    report.cesium_version = report.load.cesium_version;
    for (const view of views) {
      const r = await page.evaluate((v, t) => window.muta.show(v, t), view, o['timeout-ms']);
      const safe = String(view.name || 'view').replace(/[^A-Za-z0-9_-]+/g, '_');
      r.screenshot = path.join(out, `cesium_${safe}.png`);
      await page.screenshot({ path: r.screenshot, type: 'png' });
      report.views.push(r);
    }
    report.errors.push(...(await page.evaluate(() => window.muta.errors)));
  } catch (e) {
    report.errors.push({ kind: 'driver', message: e && e.stack ? e.stack : String(e) });
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
  }
  report.ok = report.errors.length === 0 && report.blocked_requests.length === 0 &&
    report.views.length === views.length &&
    report.views.every((v) => v.tiles_loaded && v.pixels.drawn_fraction > 0.01);
  report.seconds = (Date.now() - started) / 1000;
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  process.exit(report.ok ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`run.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
