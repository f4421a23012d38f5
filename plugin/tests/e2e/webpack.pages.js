// Bundles the e2e test pages (everything included: no Grafana server provides packages here).
const path = require('node:path');
const webpack = require('webpack');

const ROOT = path.resolve(__dirname, '../..');

module.exports = (env = {}) => ({
  mode: 'development',
  devtool: false,
  target: 'web',
  context: ROOT,
  entry: env.entry ? { [env.entry]: `./tests/e2e/${env.entry}.tsx` } : { editorsPage: './tests/e2e/editorsPage.tsx' },
  output: { path: path.join(ROOT, '..', 'test-artifacts', 'e2e-pages'), filename: '[name].js', clean: false },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'] },
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
        },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      // @grafana/plugin-compat (pulled in by scenes) re-exports names that differ between Grafana versions.
      { test: /\.m?js$/, include: /@grafana[\\/]plugin-compat/, parser: { exportsPresence: false } },
      // @grafana/ui's .mjs files import CommonJS packages' default export (react-custom-scrollbars-2
      // in the table): as .mjs, webpack would hand them the whole exports object, not its default.
      { test: /\.mjs$/, include: /@grafana[\\/]ui/, type: 'javascript/auto' },
      { test: /\.css$/, type: 'asset/source' },
      { test: /\.(svg|png|woff2?)$/, type: 'asset/resource' },
    ],
  },
  plugins: [new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') })],
  performance: { hints: false },
  ignoreWarnings: [/export .* was not found/, /Critical dependency/],
});
