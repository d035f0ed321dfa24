#!/usr/bin/env bash
# Rebuilds graph/playground/assets from the npm packages pinned below: GraphiQL
# and the React it runs on, as prebuilt browser bundles. The server embeds the
# files (go:embed), so the playground needs no network. Run it from anywhere;
# it needs node/npm and the npm registry, and changes only the assets directory.
set -euo pipefail

GRAPHIQL=3.8.3
REACT=18.3.1
# The explorer release built against GraphiQL 3.8's @graphiql/react (0.28).
EXPLORER=3.2.5

dest="$(cd "$(dirname "$0")/.." && pwd)/graph/playground/assets"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@${GRAPHIQL}" "react@${REACT}" "react-dom@${REACT}" "@graphiql/plugin-explorer@${EXPLORER}" >/dev/null
for pkg in graphiql-${GRAPHIQL} react-${REACT} react-dom-${REACT} graphiql-plugin-explorer-${EXPLORER}; do
  mkdir "$pkg" && tar xzf "$pkg.tgz" -C "$pkg" --strip-components=1
done
cp "graphiql-${GRAPHIQL}/graphiql.min.js" "graphiql-${GRAPHIQL}/graphiql.min.css" "$dest/"
cp "react-${REACT}/umd/react.production.min.js" "react-dom-${REACT}/umd/react-dom.production.min.js" "$dest/"
cp "graphiql-plugin-explorer-${EXPLORER}/dist/index.umd.js" "$dest/graphiql-plugin-explorer.umd.js"
cp "graphiql-plugin-explorer-${EXPLORER}/dist/style.css" "$dest/graphiql-plugin-explorer.css"
cp "graphiql-${GRAPHIQL}/LICENSE" "$dest/LICENSE.graphiql"
cp "react-${REACT}/LICENSE" "$dest/LICENSE.react"
(
  cd "$dest"
  echo "graphiql ${GRAPHIQL}, react ${REACT}, react-dom ${REACT}, @graphiql/plugin-explorer ${EXPLORER} (MIT, as graphiql; scripts/playground-assets.sh)"
  sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js \
    graphiql-plugin-explorer.umd.js graphiql-plugin-explorer.css
) > "$dest/VERSIONS"
echo "assets rebuilt in $dest"
