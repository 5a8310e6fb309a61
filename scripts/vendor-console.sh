#!/usr/bin/env bash
# Refresh the web console's vendored browser libraries from the npm registry.
# Maintainers only: the copies under console/static/vendor/ are committed, so neither users nor
# CI need Node. Versions are pinned in console/package.json and console/package-lock.json;
# to upgrade, change them there, run `npm install --ignore-scripts` in console/, then this.
set -euo pipefail
cd "$(dirname "$0")/../console"
npm ci --ignore-scripts --no-audit --no-fund --silent
M=node_modules
version() { node -p "require('./$M/$1/package.json').version"; }
PREACT=$(version preact); HTM=$(version htm); ECHARTS=$(version echarts)
ZRENDER=$(version zrender); TSLIB=$(version tslib)
OUT=static/vendor
rm -rf "$OUT" && mkdir -p "$OUT/preact-$PREACT" "$OUT/htm-$HTM" "$OUT/echarts-$ECHARTS" "$OUT/licences"
cp "$M/preact/dist/preact.mjs" "$M/preact/hooks/dist/hooks.mjs" "$OUT/preact-$PREACT/"
cp "$M/htm/dist/htm.mjs" "$OUT/htm-$HTM/"
cp "$M/echarts/dist/echarts.esm.min.mjs" "$OUT/echarts-$ECHARTS/"
cp "$M/preact/LICENSE" "$OUT/licences/preact-LICENSE"
cp "$M/htm/LICENSE" "$OUT/licences/htm-LICENSE"
cp "$M/echarts/LICENSE" "$OUT/licences/echarts-LICENSE"
cp "$M/echarts/NOTICE" "$OUT/licences/echarts-NOTICE"
cp "$M/zrender/LICENSE" "$OUT/licences/zrender-LICENSE"
cp "$M/tslib/LICENSE.txt" "$OUT/licences/tslib-LICENSE"
{
    echo "# Vendored browser libraries of the web console"
    echo
    echo "Copied from the npm registry by scripts/vendor-console.sh (pinned in console/package-lock.json)."
    echo "Served by Tongban itself under /console/vendor/: no CDN, government networks are closed."
    echo
    echo "| package | version | licence | file | sha256 |"
    echo "| --- | --- | --- | --- | --- |"
    for f in "preact-$PREACT/preact.mjs" "preact-$PREACT/hooks.mjs" "htm-$HTM/htm.mjs" \
             "echarts-$ECHARTS/echarts.esm.min.mjs"; do
        pkg=${f%%-*}; ver=${f#*-}; ver=${ver%%/*}
        lic=$(node -p "require('./$M/$pkg/package.json').license")
        echo "| $pkg | $ver | $lic | $f | $(sha256sum "$OUT/$f" | cut -c1-64) |"
    done
    echo "| zrender (inside echarts) | $ZRENDER | $(node -p "require('./$M/zrender/package.json').license") | bundled in the echarts file | |"
    echo "| tslib (inside echarts) | $TSLIB | $(node -p "require('./$M/tslib/package.json').license") | bundled in the echarts file | |"
    echo
    echo "Licence texts: licences/."
} > "$OUT/VENDOR.md"
echo "vendored preact $PREACT, htm $HTM, echarts $ECHARTS into console/$OUT"
