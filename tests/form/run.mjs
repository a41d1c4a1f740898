// Drives the config form in headless Chromium (Debian's, through puppeteer-core; no browser is
// downloaded): bundles page.jsx with esbuild, opens it with a plugin's schema, and for each case
// fills the fields as a user would (typing, ticking), submits, and records what the form did.
//
//   node run.mjs --schema S.json --ui UI.json --cases cases.json --out results.json [--screenshots DIR]
//
// cases.json: [{"name": "...", "fill": {"serviceName": "x", "a.b.c": true, ...}}]; a key is the
// field's path in the form data (dots between levels), a value what is typed (text, number) or
// the state a checkbox is set to (true/false). results.json: per case, accepted and the
// submitted data or the form's errors, and what the form held when submitted (`data`, valid or
// not); plus every console error or warning the page logged.
import { readFile, writeFile, mkdtemp, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import puppeteer from "puppeteer-core";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    schema: { type: "string" },
    ui: { type: "string" },
    cases: { type: "string" },
    out: { type: "string" },
    screenshots: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});

const work = await mkdtemp(join(tmpdir(), "config-form-"));
await esbuild.build({
  entryPoints: [join(here, "page.jsx")],
  bundle: true,
  minify: true,
  outfile: join(work, "page.js"),
  define: { "process.env.NODE_ENV": '"production"' },
  jsx: "automatic",
  logLevel: "error",
});
const schema = await readFile(args.schema, "utf8");
const uiSchema = args.ui ? await readFile(args.ui, "utf8") : "{}";
const cases = JSON.parse(await readFile(args.cases, "utf8"));
const html = `<!doctype html><html><head><meta charset="utf-8"><title>config form</title>
<style>body{font:14px sans-serif;margin:16px;max-width:760px} fieldset{border:1px solid #ccc;margin:6px 0;padding:6px 10px}
label{display:block;font-weight:600;margin-top:6px} input,select{padding:3px;min-width:300px} .field-description{color:#666;font-size:12px}
.error-detail,.errors{color:#b00} .panel-danger{border:1px solid #b00;padding:6px;margin-bottom:10px}</style></head>
<body><div id="root"></div><script>window.CONFIG_SCHEMA = ${schema}; window.CONFIG_UI_SCHEMA = ${uiSchema};</script><script src="page.js"></script></body></html>`;
await writeFile(join(work, "index.html"), html);

const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", `--user-data-dir=${join(work, "profile")}`,
  ],
});
const consoleMessages = [];
const results = [];
try {
  if (args.screenshots) await mkdir(args.screenshots, { recursive: true });
  for (const c of cases) {
    const page = await browser.newPage();
    await page.setViewport({ width: 820, height: 900 });
    page.on("console", (m) => {
      if (["error", "warn", "warning"].includes(m.type())) consoleMessages.push({ case: c.name, type: m.type(), text: m.text() });
    });
    page.on("pageerror", (e) => consoleMessages.push({ case: c.name, type: "pageerror", text: String(e) }));
    await page.goto(`file://${join(work, "index.html")}`);
    await page.waitForSelector("form");
    if (c.screenshot === "empty" && args.screenshots) {
      await page.screenshot({ path: join(args.screenshots, `${c.name}-empty.png`), fullPage: true });
    }
    const missing = [];
    for (const [path, value] of Object.entries(c.fill ?? {})) {
      const id = "#root_" + path.split(".").join("_");
      const input = await page.$(id);
      if (!input) {
        missing.push(path);
        continue;
      }
      if (typeof value === "boolean") {
        const checked = await page.$eval(id, (e) => e.checked);
        if (checked !== value) await input.click();
      } else {
        const tag = await page.$eval(id, (e) => e.tagName);
        if (tag === "SELECT") {
          // Options are picked by what they show: react-jsonschema-form's option values are
          // indices for a choice of constants.
          const option = await page.$eval(id, (e, v) => {
            const o = [...e.options].find((o) => o.value === v || o.textContent === v);
            return o ? o.value : v;
          }, String(value));
          await page.select(id, option);
        } else {
          await input.click({ clickCount: 3 });
          await page.$eval(id, (e) => e.select && e.select());
          await page.keyboard.press("Backspace");
          await input.type(String(value));
        }
      }
    }
    await page.click("button[type=submit]");
    // A field the browser itself finds invalid (a `required` one left empty, say) stops the
    // submit before the form's own validation: that is the form refusing too.
    const invalid = await page.$$eval(":invalid", (els) =>
      els.filter((e) => ["INPUT", "SELECT", "TEXTAREA"].includes(e.tagName))
        .map((e) => ({ property: e.id, message: e.validationMessage })));
    let result;
    if (invalid.length > 0) {
      result = { accepted: false, errors: invalid, by: "browser" };
    } else {
      try {
        await page.waitForFunction(() => window.formResult !== undefined, { timeout: 5000 });
        result = await page.evaluate(() => window.formResult);
      } catch (e) {
        // Neither submitted nor refused with errors: the form is broken (see the console).
        const text = await page.evaluate(() => document.body.innerText.slice(0, 2000));
        result = { accepted: false, errors: [{ property: "", message: `no answer to the submit: ${e.message}` }], broken: true, page: text };
      }
    }
    if (c.screenshot && c.screenshot !== "empty" && args.screenshots) {
      await page.screenshot({ path: join(args.screenshots, `${c.name}.png`), fullPage: true });
    }
    const inputs = await page.$$eval("input, select, textarea", (els) =>
      els.map((e) => ({ id: e.id, tag: e.tagName.toLowerCase(), type: e.type, disabled: e.disabled })));
    const data = await page.evaluate(() => window.formData ?? null);
    // Fields the form could not render (react-jsonschema-form's "Unsupported field schema").
    const unrendered = await page.$$eval(".unsupported-field", (els) => els.map((e) => e.innerText.slice(0, 200)));
    results.push({ name: c.name, missing, inputs, data, unrendered, ...result });
    await page.close();
  }
} finally {
  await browser.close();
}
await writeFile(args.out, JSON.stringify({ results, console: consoleMessages }, null, 2));
