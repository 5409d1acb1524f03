// What the packaging scripts share: the facts they read from the repository
// (Cargo.toml, platforms.json, server.json) and a tiny MCP stdio client.
// No dependencies beyond Node itself, so the scripts run on a bare runner
// and offline.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `name`, `version`, `description`, `license` and `repository` of the root
 * crate (a `key.workspace = true` field is read from `[workspace.package]`).
 */
export function cargoPackage() {
  const text = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  const table = (name) => text.split(new RegExp(`^\\[${name}\\]\\s*$`, "m"))[1]?.split(/^\[/m)[0] ?? "";
  const own = table("package");
  const workspace = table("workspace\\.package");
  const value = (section, key) => section.match(new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, "m"))?.[1];
  const field = (key) => value(own, key) ?? value(workspace, key);
  const pkg = Object.fromEntries(
    ["name", "version", "description", "license", "repository"].map((k) => [k, field(k)]),
  );
  for (const [key, found] of Object.entries(pkg)) {
    if (!found) throw new Error(`Cargo.toml: no ${key} in [package] or [workspace.package]`);
  }
  return pkg;
}

/** `{ "linux-x64": { os, cpu, target }, ... }` */
export function platforms() {
  const all = JSON.parse(readFileSync(join(ROOT, "packaging/platforms.json"), "utf8"));
  delete all["//"];
  return all;
}

/** This machine's platform key, e.g. `linux-x64`. */
export function hostPlatform() {
  return `${process.platform}-${process.arch}`;
}

/**
 * The platform (`--platform`, default this machine's) and the binary built
 * for it (`--binary`, default `target/dist/smartalex-mcp[.exe]`, the shipped
 * build: `cargo build --profile dist`).
 */
export function targetBinary(args) {
  const platform = args.platform ?? hostPlatform();
  const info = platforms()[platform];
  if (!info) {
    throw new Error(`unknown platform ${platform}; known: ${Object.keys(platforms()).join(", ")}`);
  }
  const exe = info.os === "win32" ? "smartalex-mcp.exe" : "smartalex-mcp";
  const binary = resolve(args.binary ?? join(ROOT, "target/dist", exe));
  if (!existsSync(binary)) {
    throw new Error(`no binary at ${binary}: run \`cargo build --profile dist\` or pass --binary`);
  }
  return { platform, info, exe, binary };
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

export function toJson(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `--key value` and `--flag` arguments into an object. */
export function parseArgs(argv, flags = []) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument: ${arg}`);
    const key = arg.slice(2);
    if (flags.includes(key)) {
      out[key] = true;
    } else {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      out[key] = argv[++i];
    }
  }
  return out;
}

/**
 * Start `command args` (in `env`) as an MCP stdio server, run `fn(request)` where
 * `request(method, params)` resolves to the result, then close stdin.
 */
export async function withMcpServer(command, args, env, fn) {
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "inherit"] });
  const pending = new Map();
  let buffer = "";
  let nextId = 1;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      const waiter = pending.get(msg.id);
      if (!waiter) continue;
      pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${waiter.method}: ${msg.error.message}`));
      else waiter.resolve(msg.result);
    }
  });
  const exited = new Promise((resolve) => {
    const stop = (why) => {
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${command} ${why} before answering ${waiter.method}`));
      }
      pending.clear();
      resolve();
    };
    child.on("exit", (code, signal) => stop(`exited (${signal ?? code})`));
    child.on("error", (err) => stop(`failed to start: ${err.message}`));
  });
  const send = (msg) => child.stdin.write(`${JSON.stringify(msg)}\n`);
  const request = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { method, resolve, reject });
      send({ jsonrpc: "2.0", id, method, params });
    });
  try {
    await request("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "smartalex-packaging", version: "1" },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return await fn(request);
  } finally {
    child.stdin.end();
    await exited;
  }
}
