#!/usr/bin/env node
// Build the npm packages from a compiled binary:
//
//   node packaging/npm/build.mjs [--binary target/dist/smartalex-mcp]
//        [--platform linux-x64] [--out target/npm] [--pack]
//
// writes OUT/mcp-server/ (the launcher, `@smartalex/mcp-server`) and
// OUT/mcp-server-PLATFORM/ (the binary, gated by `os`/`cpu`), with the
// version taken from Cargo.toml. `--pack` also runs `npm pack` on both and
// prints the tarball paths, one per line. PLATFORM defaults to this
// machine's; the release workflow runs it once per platform with a binary
// cross-built for it.

import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, cargoPackage, parseArgs, platforms, readJson, targetBinary, toJson } from "../lib.mjs";

const LAUNCHER_DIR = join(ROOT, "packaging/npm/mcp-server");

/** The launcher's package.json as it must read for this crate version. */
export function launcherManifest() {
  const cargo = cargoPackage();
  const manifest = readJson(join(LAUNCHER_DIR, "package.json"));
  manifest.version = cargo.version;
  manifest.optionalDependencies = Object.fromEntries(
    Object.keys(platforms()).map((p) => [`${manifest.name}-${p}`, cargo.version]),
  );
  return manifest;
}

function platformManifest(launcher, platform, info) {
  const manifest = {
    name: `${launcher.name}-${platform}`,
    version: launcher.version,
    description: `The smartalex-mcp binary for ${platform}, run by ${launcher.name}.`,
    license: launcher.license,
    homepage: launcher.homepage,
    repository: launcher.repository,
    os: [info.os],
    cpu: [info.cpu],
    files: ["bin/"],
    preferUnplugged: true,
  };
  // The Linux binaries link glibc; on musl npm skips the package and the
  // launcher says so instead of failing with a loader error.
  if (info.os === "linux") manifest.libc = ["glibc"];
  return manifest;
}

function main() {
  const args = parseArgs(process.argv.slice(2), ["pack"]);
  const { platform, info, exe, binary } = targetBinary(args);
  const out = resolve(args.out ?? join(ROOT, "target/npm"));

  const launcher = launcherManifest();
  const launcherOut = join(out, "mcp-server");
  rmSync(launcherOut, { recursive: true, force: true });
  cpSync(LAUNCHER_DIR, launcherOut, { recursive: true });
  writeFileSync(join(launcherOut, "package.json"), toJson(launcher));
  chmodSync(join(launcherOut, "bin/smartalex-mcp.js"), 0o755);

  const platformOut = join(out, `mcp-server-${platform}`);
  rmSync(platformOut, { recursive: true, force: true });
  mkdirSync(join(platformOut, "bin"), { recursive: true });
  copyFileSync(binary, join(platformOut, "bin", exe));
  chmodSync(join(platformOut, "bin", exe), 0o755);
  writeFileSync(join(platformOut, "package.json"), toJson(platformManifest(launcher, platform, info)));
  writeFileSync(
    join(platformOut, "README.md"),
    `# ${launcher.name}-${platform}\n\nThe \`smartalex-mcp\` binary for ${platform}. ` +
      `Install [\`${launcher.name}\`](https://www.npmjs.com/package/${launcher.name}) instead: ` +
      "it picks the right one of these packages for you.\n",
  );

  if (args.pack) {
    for (const dir of [launcherOut, platformOut]) {
      const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
        cwd: dir,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      });
      console.log(join(out, JSON.parse(packed)[0].filename));
    }
  } else {
    console.log(launcherOut);
    console.log(platformOut);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(`build.mjs: ${err.message}`);
    process.exit(1);
  }
}
