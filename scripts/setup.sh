#!/usr/bin/env bash
# Installs every Debian 12 package Vidyut needs to build, test and run. Idempotent; run as root.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev            # libFuzzer targets
  libssl-dev                          # AES-GCM (security suite 0)
  libfmt-dev libspdlog-dev            # logging
  libcli11-dev                        # command line
  nlohmann-json3-dev                  # JSON reports and files
  libpugixml-dev                      # XML: IEC 61968-9 (CIM) messages
  libasio-dev                         # event-driven networking (standalone Asio)
  libboost-dev                        # HTTP: Boost.Beast on Boost.Asio (header-only)
  libsodium-dev                       # passwords: Argon2id (memory-hard)
  prometheus-cpp-dev                  # metrics in the Prometheus format
  libsqlite3-dev                      # embedded storage
  libpq-dev postgresql                # PostgreSQL store: libpq, and the server the tests start
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and benchmarks
  clang-format
  curl                                # bench/billing_bench.sh talks to the payment API
  python3                             # test scripts: a slow HTTP client, JSON checks
  python3-jsonschema                  # API answers checked against the OpenAPI document
  chromium fonts-lohit-deva           # browser tests (Playwright drives Debian's Chromium), Hindi
)
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"

# The web front end (portal and control room): its npm packages, exactly as package-lock.json
# records them, and its build in web/dist, which `vidyut serve --web web/dist` serves. Node.js and
# npm come with the machine; Playwright never downloads a browser (it drives Debian's chromium).
if ! command -v npm >/dev/null; then
  apt-get install -y --no-install-recommends nodejs npm
fi
cd "$(dirname "$0")/../web"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
npm run build
