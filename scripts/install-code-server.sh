#!/usr/bin/env bash
# Installs code-server (VS Code's server + web workbench) into .vscode-test/code-server/ so that the
# end-to-end tests in test/e2e/ can drive a real VS Code offline. Idempotent: returns quickly when the
# pinned version is already installed.
#
# Obstacles handled (see /work/shared/notes/REAL-VSCODE.md):
#   - code-server's postinstall refuses to run as root unless npm_config_unsafe_perm=true;
#   - node-pty's postinstall runs `npx node-gyp`, which needs npm_config_yes=true;
#   - @vscode/ripgrep downloads rg from GitHub unless a cached tarball is found in
#     $TMPDIR/vscode-ripgrep-cache-<ver>/ : we build that tarball from Debian's /usr/bin/rg;
#   - the kerberos module compiles from source and needs libkrb5-dev.
#
# Usage: scripts/install-code-server.sh [--force]
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_TARBALL="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.vscode-test/code-server"
BIN="$DEST/node_modules/.bin/code-server"
PKG_JSON="$DEST/node_modules/code-server/package.json"

say() { printf '[install-code-server] %s\n' "$*"; }
die() { printf '[install-code-server] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
if [[ "${1:-}" == "--force" ]]; then FORCE=1; fi

installed_version() {
  [[ -f "$PKG_JSON" ]] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version || "")' "$PKG_JSON" 2>/dev/null || true
}

# --- fast path -------------------------------------------------------------------------------
if [[ $FORCE -eq 0 && -x "$BIN" && "$(installed_version)" == "$CODE_SERVER_VERSION" \
      && -f "$DEST/.install-complete" ]]; then
  say "code-server $CODE_SERVER_VERSION already installed in $DEST (use --force to reinstall)"
  exit 0
fi

# --- prerequisites -----------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not on PATH (Node 20 is required)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$NODE_MAJOR" != "20" ]]; then
  say "warning: code-server $CODE_SERVER_VERSION targets Node 20; this is Node $(node -v)"
fi
[[ -x /usr/bin/rg ]] || die "/usr/bin/rg is missing: run 'apt-get install ripgrep' (needed to stand in for @vscode/ripgrep's download)"
if [[ ! -f /usr/include/gssapi/gssapi.h && ! -f /usr/include/krb5.h ]]; then
  die "Kerberos headers are missing: run 'apt-get install libkrb5-dev' (code-server's kerberos module compiles from source)"
fi
for tool in make g++ python3 tar; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing: run 'apt-get install build-essential python3' (native modules are compiled)"
done
if [[ ! -x /usr/bin/chromium ]]; then
  say "warning: /usr/bin/chromium is missing ('apt-get install chromium'); install continues, but the UI tests need it"
fi

# --- workspace ---------------------------------------------------------------------------------
mkdir -p "$DEST"
TMP_DIR="$DEST/tmp"
mkdir -p "$TMP_DIR"
rm -f "$DEST/.install-complete"

if [[ ! -f "$DEST/package.json" ]]; then
  say "writing $DEST/package.json"
  cat > "$DEST/package.json" <<JSON
{
  "name": "robustness-lens-code-server",
  "private": true,
  "description": "code-server used by the end-to-end tests (installed by scripts/install-code-server.sh; not a project dependency)"
}
JSON
fi

# ripgrep cache tarball built from Debian's rg
CACHE_DIR="$TMP_DIR/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
if [[ ! -s "$CACHE_DIR/$RIPGREP_TARBALL" ]]; then
  say "building ripgrep cache $CACHE_DIR/$RIPGREP_TARBALL from /usr/bin/rg ($(/usr/bin/rg --version | head -n1))"
  mkdir -p "$CACHE_DIR"
  STAGE="$(mktemp -d "$TMP_DIR/rg-stage.XXXXXX")"
  cp /usr/bin/rg "$STAGE/rg"
  chmod 755 "$STAGE/rg"
  tar -czf "$CACHE_DIR/$RIPGREP_TARBALL" -C "$STAGE" rg
  rm -rf "$STAGE"
else
  say "ripgrep cache present: $CACHE_DIR/$RIPGREP_TARBALL"
fi

# --- install ------------------------------------------------------------------------------------
say "installing code-server@$CODE_SERVER_VERSION into $DEST (builds native modules; takes about a minute)"
START=$(date +%s)
(
  cd "$DEST"
  export TMPDIR="$TMP_DIR"
  # (npm 11 warns "Unknown env config unsafe-perm"; code-server's postinstall still reads it)
  export npm_config_unsafe_perm=true
  export npm_config_yes=true
  npm install --no-audit --no-fund --save-exact --loglevel=warn "code-server@$CODE_SERVER_VERSION"
) || die "npm install code-server@$CODE_SERVER_VERSION failed (see output above)"

[[ -x "$BIN" ]] || die "npm finished but $BIN does not exist"
GOT="$(installed_version)"
[[ "$GOT" == "$CODE_SERVER_VERSION" ]] || die "expected code-server $CODE_SERVER_VERSION, found '$GOT'"

# ripgrep must be in place, otherwise search/quick open break silently
RG_BIN="$(find "$DEST/node_modules" -path '*@vscode/ripgrep/bin/rg' -type f 2>/dev/null | head -n1 || true)"
if [[ -z "$RG_BIN" ]]; then
  die "@vscode/ripgrep's rg binary was not installed (ripgrep cache not picked up?)"
fi
say "ripgrep binary: $RG_BIN"

# keep code-server from writing ~/.config/code-server and ~/.local/share/code-server
VERSION_LINE="$(XDG_CONFIG_HOME="$TMP_DIR/xdg-config" XDG_DATA_HOME="$TMP_DIR/xdg-data" \
  "$BIN" --version 2>/dev/null | grep -E "^$CODE_SERVER_VERSION( |$)" | head -n1 || true)"
[[ -n "$VERSION_LINE" ]] || die "'$BIN --version' did not report $CODE_SERVER_VERSION"
touch "$DEST/.install-complete"
say "done in $(( $(date +%s) - START )) s: code-server $VERSION_LINE"
