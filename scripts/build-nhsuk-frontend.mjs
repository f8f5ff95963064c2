#!/usr/bin/env node
// Builds the NHS design system (nhsuk-frontend, pinned in package.json) into
// static/vendor/nhsuk-frontend/, which is committed so that `make run` needs no Node.
//
//   npm ci && npm run build:css
//
// Why not the package's prebuilt CSS: it fetches the Frutiger font from the NHS CDN and points
// its icons at /assets/... . We compile the SCSS with settings that use system fonts (no
// @font-face, nothing fetched at run time) and point asset URLs at Django's static URL.
// See docs/adr/0005-nhs-design-system.md.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve("nhsuk-frontend/package.json"));
const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const dist = join(pkgDir, "dist", "nhsuk");
const out = join(root, "static", "vendor", "nhsuk-frontend");
const staticUrl = "/static/vendor/nhsuk-frontend/assets/";

// Frutiger is licensed for NHS use and only served from the NHS CDN: use Arial, which the design
// system already names as Frutiger's fallback, and declare no @font-face. With the default font
// face off, nhsuk-frontend leaves the page's font-family to us, hence the html rule.
const entry = `
@use "nhsuk" with (
  $nhsuk-assets-path: "${staticUrl}",
  $nhsuk-font-family: (arial, sans-serif),
  $nhsuk-include-default-font-face: false
);
html { font-family: nhsuk.$nhsuk-font-family; }
`;

const result = sass.compileString(entry, {
  loadPaths: [join(pkgDir, "dist")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});

const css = `/*! nhsuk-frontend ${version}, built by scripts/build-nhsuk-frontend.mjs */\n${result.css}\n`;
for (const forbidden of ["https://", "http://", "@font-face", 'url("/assets/']) {
  if (css.includes(forbidden)) {
    throw new Error(`built CSS still contains ${forbidden}: check the Sass settings`);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets", "images"), { recursive: true });
writeFileSync(join(out, "nhsuk-frontend.min.css"), css);
// The source map is not shipped, so drop its comment: Django's ManifestStaticFilesStorage would
// otherwise fail collectstatic looking for the map.
const js = readFileSync(join(dist, `nhsuk-frontend-${version}.min.js`), "utf8");
writeFileSync(
  join(out, "nhsuk-frontend.min.js"),
  js.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "\n"),
);

// Only the assets the pages use: icons referenced by the CSS, and the favicons and app icons.
const referenced = new Set([...css.matchAll(/nhsuk-frontend\/assets\/images\/([\w.-]+)/g)].map((m) => m[1]));
for (const name of [
  ...referenced,
  "favicon.ico",
  "favicon.svg",
  "nhsuk-icon-180.png",
  "nhsuk-icon-192.png",
  "nhsuk-icon-512.png",
  "nhsuk-icon-mask.svg",
]) {
  copyFileSync(join(dist, "assets", "images", name), join(out, "assets", "images", name));
}
writeFileSync(
  join(out, "VERSION"),
  `nhsuk-frontend ${version}\nBuilt by scripts/build-nhsuk-frontend.mjs (npm run build:css); do not edit by hand.\n`,
);
console.log(`nhsuk-frontend ${version}: ${css.length} bytes of CSS, ${referenced.size} icons -> ${out}`);
