#!/usr/bin/env bash
# Debian packages the project needs beyond Python: a headless Chromium for the console's browser
# tests and free CJK fonts for rendering official documents. Installs only what is missing;
# needs root (or sudo). One list, so `make` targets and CI agree on it.
set -euo pipefail

PACKAGES=(
    chromium            # console end-to-end tests (Playwright drives the system browser)
    fonts-noto-cjk      # Noto Serif/Sans CJK: default 宋体/黑体 faces of rendered documents
    fonts-arphic-ukai   # AR PL UKai: default 楷体 face
    fonts-lxgw-wenkai   # LXGW WenKai (OFL): 楷体 of rendered documents, all of GB 2312
    fonts-arphic-uming  # AR PL UMing: fallback Ming face
)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}"
