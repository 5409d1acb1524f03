#!/usr/bin/env node
// The `@smartalex/mcp-server` launcher: find the platform package npm
// installed through `optionalDependencies` and run its `smartalex-mcp`
// binary in this process's place.
//
// What it must never do: write to stdout (an MCP client reads JSON-RPC
// there), download anything, or outlive or outrank the binary. So stdio is
// inherited rather than piped (the binary talks to the client directly, no
// copy in between), every message of ours goes to stderr, signals are passed
// on, and the binary's exit code or death signal becomes ours.
"use strict";

const { spawn } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");
const manifest = require("../package.json");

const platform = `${process.platform}-${process.arch}`;
const pkg = `${manifest.name}-${platform}`;
const exe = process.platform === "win32" ? "smartalex-mcp.exe" : "smartalex-mcp";

function fail(lines) {
  process.stderr.write(lines.map((line) => `smartalex-mcp: ${line}\n`).join(""));
  process.exit(1);
}

function binaryPath() {
  const supported = Object.keys(manifest.optionalDependencies || {});
  if (!supported.includes(pkg)) {
    fail([
      `no prebuilt binary for this platform (${platform}).`,
      `${manifest.name} ${manifest.version} ships: ${supported.map((p) => p.slice(manifest.name.length + 1)).join(", ")}.`,
      "Build it from source instead: cargo install smartalex-mcp",
    ]);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    fail([
      `${pkg} is not installed, so there is no binary to run.`,
      "npm skips optional dependencies with --omit=optional / --no-optional, and when a",
      "lockfile made on another platform is reused. Install it next to this package:",
      `  npm install ${pkg}@${manifest.version}`,
      "or build from source: cargo install smartalex-mcp",
    ]);
  }
  return path.join(dir, "bin", exe);
}

const binary = binaryPath();
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });

// Signals a client or a terminal sends to us are meant for the server.
const forwarded =
  process.platform === "win32"
    ? ["SIGINT", "SIGBREAK", "SIGHUP"]
    : ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];
for (const signal of forwarded) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
  });
}

child.on("error", (err) => {
  fail([`could not start ${binary}: ${err.message}`]);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // Die the way the binary died, so a supervisor sees the same thing.
    for (const s of forwarded) process.removeAllListeners(s);
    process.exitCode = 128 + (os.constants.signals[signal] || 0);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
