// browser.js ARTIFACTS BIG.html HOSTILE.html INVENTORY.html FILTER_WORD:
// opens admitd's html pages in headless chromium (playwright-core,
// Debian's /usr/bin/chromium) and prints what it saw as one JSON object,
// which test_browser.sh judges. Screenshots go to ARTIFACTS.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const [artifacts, bigPage, hostilePage, invPage, filterWord] = process.argv.slice(2);
const url = (f) => 'file://' + path.resolve(f);

// what a page did while it was open: dialogs, console CSP reports, errors, requests
async function open(browser, file) {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	const seen = { dialogs: [], csp: [], errors: [], requests: [], violations: [] };
	page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) seen.csp.push(m.text()); });
	page.on('pageerror', (e) => seen.errors.push(String(e)));
	page.on('request', (r) => { if (r.url() !== url(file)) seen.requests.push(r.url()); });
	// before the page's own code, out of reach of its policy
	await page.addInitScript(() => {
		window.__violations = [];
		document.addEventListener('securitypolicyviolation', (e) =>
			window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
	});
	await page.goto(url(file), { waitUntil: 'load' });
	await page.waitForTimeout(300); // a late handler or timer would fire by now
	seen.violations = await page.evaluate(() => window.__violations);
	seen.pwned = await page.evaluate(() => typeof window.__pwned === 'undefined' ? 'undefined' : String(window.__pwned));
	return { ctx, page, seen };
}

// distinct colours of a PNG, counted on a canvas of a blank page (no policy there)
async function colours(browser, png) {
	const page = await browser.newPage();
	const n = await page.evaluate(async (b64) => {
		const img = new Image();
		img.src = 'data:image/png;base64,' + b64;
		await img.decode();
		const c = document.createElement('canvas');
		c.width = img.width; c.height = img.height;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		const set = new Set();
		for (let i = 0; i < d.length && set.size < 1000; i += 4 * 7) set.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
		return set.size;
	}, png.toString('base64'));
	await page.close();
	return n;
}

const rowCount = (page, id) => page.$$eval('#t-' + id + ' tbody tr', (r) => r.length);
const visible = (page, id) => page.$$eval('#t-' + id + ' tbody tr', (r) => r.filter((x) => !x.hidden).length);
// whether column i of the table is in order (dir 1 ascending, -1 descending) as the page's collator sees it
const sorted = (page, id, i, dir) => page.$$eval('#t-' + id + ' tbody tr', (rows, [i, dir]) => {
	const coll = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
	const v = rows.map((r) => r.cells[i].textContent);
	return v.every((x, k) => k === 0 || dir * coll.compare(v[k - 1], x) <= 0) && new Set(v).size > 1;
}, [i, dir]);

(async () => {
	const out = {};
	const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
	try {
		out.version = browser.version();
		// ---- the 1,000-workload audit ----
		let { ctx, page, seen } = await open(browser, bigPage);
		out.big = { seen };
		const shot = await page.screenshot({ path: path.join(artifacts, 'audit-1000.png'), fullPage: false });
		out.big.colours = await colours(browser, shot);
		out.big.rows = await rowCount(page, 'findings');
		out.big.countText = await page.textContent('#n-findings');
		out.big.headings = await page.$$eval('#t-findings thead th', (h) => h.map((x) => x.textContent));
		out.big.svgBars = await page.$$eval('svg rect', (r) => r.length);
		// sorting: the Workload column, then again descending
		await page.click('#t-findings thead th:nth-child(2) button');
		out.big.sortedAsc = await sorted(page, 'findings', 1, 1);
		await page.click('#t-findings thead th:nth-child(2) button');
		out.big.sortedDesc = await sorted(page, 'findings', 1, -1);
		await page.click('#t-findings thead th:nth-child(1) button');
		out.big.sortedNs = await sorted(page, 'findings', 0, 1);
		out.big.rowsAfterSort = await rowCount(page, 'findings');
		// filtering: typed, a word that matches nothing, cleared
		await page.fill('#f-findings', filterWord);
		out.big.filtered = await visible(page, 'findings');
		out.big.filteredText = await page.textContent('#n-findings');
		await page.fill('#f-findings', 'no-such-thing-anywhere');
		out.big.filteredNone = await visible(page, 'findings');
		await page.fill('#f-findings', '');
		out.big.unfiltered = await visible(page, 'findings');
		await ctx.close();

		// ---- the hostile object ----
		({ ctx, page, seen } = await open(browser, hostilePage));
		out.hostile = { seen };
		await page.screenshot({ path: path.join(artifacts, 'hostile.png'), fullPage: true });
		out.hostile.imgs = await page.$$eval('img', (i) => i.length);
		out.hostile.scripts = await page.$$eval('script', (s) => s.length);
		out.hostile.shownAsText = await page.$$eval('td', (tds) =>
			tds.some((t) => t.textContent.includes('<img src=x onerror="window.__pwned=1">')) &&
			tds.some((t) => t.textContent.includes('<script>alert(1)</script>')));
		await ctx.close();

		// ---- controls: the sentinel works, and this browser enforces the page's policy ----
		const text = fs.readFileSync(hostilePage, 'utf8');
		const payload = '<img src=x onerror="window.__pwned=1">';
		const withCsp = path.join(artifacts, 'control-csp.html');
		fs.writeFileSync(withCsp, text.replace('<body>\n', '<body>\n' + payload));
		({ ctx, page, seen } = await open(browser, withCsp));
		out.controlCsp = { seen };
		await ctx.close();
		const noCsp = path.join(artifacts, 'control-no-csp.html');
		fs.writeFileSync(noCsp, text.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('<body>\n', '<body>\n' + payload));
		({ ctx, page, seen } = await open(browser, noCsp));
		out.controlNoCsp = { seen };
		await ctx.close();

		// ---- inventory ----
		({ ctx, page, seen } = await open(browser, invPage));
		out.inv = { seen };
		out.inv.rows = await rowCount(page, 'containers');
		out.inv.exposed = await rowCount(page, 'exposed');
		const ishot = await page.screenshot({ path: path.join(artifacts, 'inventory.png'), fullPage: true });
		out.inv.colours = await colours(browser, ishot);
		await ctx.close();
	} catch (e) {
		out.error = String(e && e.stack || e);
	} finally {
		await browser.close();
	}
	console.log(JSON.stringify(out));
})();
