#!/usr/bin/env node
// Pack the MCP bundle (.mcpb) Claude Desktop installs with a double click:
//
//   node packaging/mcpb/pack.mjs [--binary target/dist/smartalex-mcp]
//        [--platform linux-x64] [--out target/mcpb] [--mcpb path/to/mcpb/cli.js]
//
// stages OUT/smartalex-mcp-PLATFORM/ (manifest.json for that platform and
// server/smartalex-mcp), packs it with the official `mcpb` CLI (which
// validates the manifest first) and prints the bundle's path. `--mcpb`
// points at an installed CLI's JavaScript entry; without it the pinned
// version runs through npx.

import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT, cargoPackage, parseArgs, readJson, targetBinary, toJson } from "../lib.mjs";

const MCPB_CLI = "@anthropic-ai/mcpb@2.1.2";

function main() {
  const args = parseArgs(process.argv.slice(2));
  const { platform, info, exe, binary } = targetBinary(args);
  const out = resolve(args.out ?? join(ROOT, "target/mcpb"));
  const stage = join(out, `smartalex-mcp-${platform}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "server"), { recursive: true });

  const manifest = readJson(join(ROOT, "packaging/mcpb/manifest.json"));
  manifest.server.entry_point = `server/${exe}`;
  manifest.server.mcp_config.command = `\${__dirname}/server/${exe}`;
  manifest.compatibility = { ...manifest.compatibility, platforms: [info.os] };
  writeFileSync(join(stage, "manifest.json"), toJson(manifest));
  copyFileSync(binary, join(stage, "server", exe));
  chmodSync(join(stage, "server", exe), 0o755);
  copyFileSync(join(ROOT, "README.md"), join(stage, "README.md"));

  const bundle = join(out, `smartalex-mcp-${cargoPackage().version}-${platform}.mcpb`);
  rmSync(bundle, { force: true });
  const [command, prefix] = args.mcpb
    ? [process.execPath, [resolve(args.mcpb)]]
    : ["npx", ["-y", MCPB_CLI]];
  // The CLI reports on stdout; keep ours for the bundle's path alone.
  execFileSync(command, [...prefix, "pack", stage, bundle], { stdio: ["ignore", 2, 2] });
  if (!existsSync(bundle)) throw new Error(`mcpb pack wrote no ${bundle}`);
  console.log(bundle);
}

try {
  main();
} catch (err) {
  console.error(`pack.mjs: ${err.message}`);
  process.exit(1);
}
