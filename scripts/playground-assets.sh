#!/usr/bin/env bash
# Rebuilds graph/playground/assets from the npm packages pinned below: GraphiQL
# and the React it runs on, as prebuilt browser bundles. The server embeds the
# files (go:embed), so the playground needs no network. Run it from anywhere;
# it needs node/npm and the npm registry, and changes only the assets directory.
set -euo pipefail

GRAPHIQL=3.8.3
REACT=18.3.1

dest="$(cd "$(dirname "$0")/.." && pwd)/graph/playground/assets"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@${GRAPHIQL}" "react@${REACT}" "react-dom@${REACT}" >/dev/null
for pkg in graphiql-${GRAPHIQL} react-${REACT} react-dom-${REACT}; do
  mkdir "$pkg" && tar xzf "$pkg.tgz" -C "$pkg" --strip-components=1
done
cp "graphiql-${GRAPHIQL}/graphiql.min.js" "graphiql-${GRAPHIQL}/graphiql.min.css" "$dest/"
cp "react-${REACT}/umd/react.production.min.js" "react-dom-${REACT}/umd/react-dom.production.min.js" "$dest/"
cp "graphiql-${GRAPHIQL}/LICENSE" "$dest/LICENSE.graphiql"
cp "react-${REACT}/LICENSE" "$dest/LICENSE.react"
(
  cd "$dest"
  echo "graphiql ${GRAPHIQL}, react ${REACT}, react-dom ${REACT} (scripts/playground-assets.sh)"
  sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
) > "$dest/VERSIONS"
echo "assets rebuilt in $dest"
