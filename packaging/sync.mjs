#!/usr/bin/env node
// Write (or, with --check, verify) every packaging file that restates a fact
// the crate already knows, so none of them is edited by hand:
//
//   node packaging/sync.mjs --binary target/debug/smartalex-mcp [--check]
//   node packaging/sync.mjs --binary ... --mcpb FILE --mcpb-url URL [--server-json PATH]
//
// - versions: from Cargo.toml;
// - tools: from `smartalex-mcp tools --json` (the generated tool table);
// - prompts: from `prompts/list` / `prompts/get` on the running binary
//   (the generated surface from openapi/mcp/prompts/);
// - the registry name: from server.json, copied into the launcher's
//   `mcpName`.
//
// Files: packaging/npm/mcp-server/package.json, packaging/mcpb/manifest.json,
// server.json. `--check` changes nothing and exits 1 naming each stale file;
// the integration tests run it. `--mcpb` (release only) adds the packed
// bundle to server.json (or the copy at `--server-json`) with the URL it
// will have and its SHA-256, and writes nothing else.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { launcherManifest } from "./npm/build.mjs";
import { ROOT, cargoPackage, parseArgs, readJson, toJson, withMcpServer } from "./lib.mjs";

const FILES = {
  launcher: join(ROOT, "packaging/npm/mcp-server/package.json"),
  manifest: join(ROOT, "packaging/mcpb/manifest.json"),
  server: join(ROOT, "server.json"),
};

// No key and no sandbox: the prompts' embedded resources fail fast instead
// of reading anyone's account, and only their templates are kept anyway.
const ENV = { ...process.env, SMARTALEX_LOG: "error" };
delete ENV.SMARTALEX_API_KEY;
delete ENV.SMARTALEX_SANDBOX;

/** What the binary serves: tools and prompts, in its own order. */
async function surface(binary) {
  const listed = JSON.parse(execFileSync(binary, ["tools", "--json"], { encoding: "utf8", env: ENV }));
  const tools = listed.tools.map((t) => ({ name: t.name, description: t.description }));
  const prompts = await withMcpServer(binary, [], ENV, async (request) => {
    const { prompts: list } = await request("prompts/list");
    const out = [];
    for (const p of list) {
      const names = (p.arguments ?? []).map((a) => a.name);
      const text = await promptTemplate(request, p.name, names);
      out.push({ name: p.name, description: p.description, arguments: names, text });
    }
    return out;
  });
  return { tools, prompts };
}

/**
 * A prompt's text with `${arguments.NAME}` placeholders, as MCPB prompt text
 * has them. The server checks argument values (ids must be UUIDs, some
 * arguments take a fixed list of values), so the prompt is rendered with a
 * stand-in each check accepts, which is then put back as the placeholder: a
 * UUID no text contains (with no key nothing can tell it names no record),
 * or, for an argument completion offers a fixed list for, one of those values
 * whose every occurrence moves when another value is given instead.
 */
async function promptTemplate(request, name, names) {
  const render = async (args) => {
    const got = await request("prompts/get", { name, arguments: args });
    // Resources the prompt embeds come first; its own text is last.
    return got.messages.at(-1)?.content?.text ?? "";
  };
  const args = {};
  const lists = {};
  for (const [i, n] of names.entries()) {
    args[n] = `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
    const { completion } = await request("completion/complete", {
      ref: { type: "ref/prompt", name },
      argument: { name: n, value: "" },
    });
    if (completion.values.length >= 2) {
      lists[n] = completion.values;
      args[n] = completion.values[0];
    }
  }
  const split = (text, value) => JSON.stringify(text.split(value));
  for (const [n, values] of Object.entries(lists)) {
    let found;
    for (const value of values) {
      const other = values.find((v) => v !== value && !v.includes(value) && !value.includes(v));
      if (other === undefined) continue;
      const [a, b] = [await render({ ...args, [n]: value }), await render({ ...args, [n]: other })];
      if (split(a, value) === split(b, other)) {
        found = value;
        break;
      }
    }
    if (found === undefined) throw new Error(`${name}: cannot locate argument ${n} in the rendered text`);
    args[n] = found;
  }
  let text = await render(args);
  for (const n of names) text = text.split(args[n]).join(`\${arguments.${n}}`);
  return text;
}

function expectedLauncher(server) {
  const cargo = cargoPackage();
  const launcher = launcherManifest();
  launcher.license = cargo.license;
  launcher.mcpName = server.name;
  launcher.repository = { type: "git", url: `git+${cargo.repository}.git` };
  return launcher;
}

function expectedManifest({ tools, prompts }) {
  const cargo = cargoPackage();
  const manifest = readJson(FILES.manifest);
  manifest.version = cargo.version;
  manifest.license = cargo.license;
  manifest.repository = { type: "git", url: cargo.repository };
  manifest.tools = tools;
  manifest.prompts = prompts;
  return manifest;
}

function expectedServer({ tools, prompts }, path) {
  const cargo = cargoPackage();
  const launcher = readJson(FILES.launcher);
  const server = readJson(path);
  server.version = cargo.version;
  server.repository = { url: cargo.repository, source: "github" };
  for (const pkg of server.packages ?? []) {
    if (pkg.registryType === "npm") {
      pkg.identifier = launcher.name;
      pkg.version = cargo.version;
    } else if (pkg.registryType === "cargo") {
      pkg.identifier = cargo.name;
      pkg.version = cargo.version;
    }
  }
  server._meta = {
    "io.modelcontextprotocol.registry/publisher-provided": {
      tools: tools.map((t) => t.name),
      prompts: prompts.map((p) => p.name),
    },
  };
  return server;
}

/** Add (or replace) the bundle for one platform; release workflow only. */
function withBundle(server, { file, url }) {
  const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
  const packages = (server.packages ?? []).filter(
    (p) => !(p.registryType === "mcpb" && p.identifier === url),
  );
  const env = packages.find((p) => p.registryType === "npm")?.environmentVariables;
  packages.push({
    registryType: "mcpb",
    identifier: url,
    fileSha256: sha,
    transport: { type: "stdio" },
    ...(env ? { environmentVariables: env } : {}),
  });
  return { ...server, packages };
}

function shown(path) {
  return path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ["check"]);
  if (!args.binary) throw new Error("--binary PATH is required (e.g. target/debug/smartalex-mcp)");
  const found = await surface(resolve(args.binary));
  const serverPath = resolve(args["server-json"] ?? FILES.server);
  let server = expectedServer(found, serverPath);
  let expected = [
    [FILES.launcher, expectedLauncher(server)],
    [FILES.manifest, expectedManifest(found)],
    [serverPath, server],
  ];
  if (args.mcpb) {
    if (args.check) throw new Error("--mcpb changes server.json; it cannot be combined with --check");
    if (!args["mcpb-url"]) throw new Error("--mcpb needs --mcpb-url (where the release will serve it)");
    server = withBundle(server, { file: args.mcpb, url: args["mcpb-url"] });
    expected = [[serverPath, server]];
  }
  const stale = [];
  for (const [path, value] of expected) {
    const want = toJson(value);
    const have = readFileSync(path, "utf8");
    if (want === have) continue;
    if (args.check) {
      const w = want.split("\n");
      const h = have.split("\n");
      const line = w.findIndex((l, i) => l !== h[i]);
      stale.push(`${shown(path)}: line ${line + 1} is\n    ${h[line]}\n  should be\n    ${w[line]}`);
    } else {
      writeFileSync(path, want);
      console.error(`sync.mjs: wrote ${shown(path)}`);
    }
  }
  if (stale.length) {
    console.error(`sync.mjs: stale, run \`node packaging/sync.mjs --binary …\`:\n${stale.join("\n")}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`sync.mjs: ${err.message}`);
  process.exit(1);
});
