// Webpack build in the shape of Grafana's create-plugin template: an AMD module.js that Grafana
// loads with the packages it provides to plugins kept external.
const path = require('node:path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const ROOT = path.resolve(__dirname, '..');
const pluginJson = require(path.join(ROOT, 'src/plugin.json'));
const { version } = require(path.join(ROOT, 'package.json'));

/** Provided by Grafana at runtime. @grafana/i18n is not: it is bundled. */
const EXTERNALS = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  'rxjs',
  'rxjs/operators',
  'i18next',
  'lodash',
  '@emotion/css',
  '@emotion/react',
];

module.exports = (env = {}) => ({
  mode: env.production ? 'production' : 'development',
  devtool: env.production ? 'source-map' : 'eval-source-map',
  target: 'web',
  context: ROOT,
  entry: { module: './src/module.ts' },
  output: {
    path: path.join(ROOT, 'dist'),
    filename: '[name].js',
    library: { type: 'amd' },
    publicPath: `public/plugins/${pluginJson.id}/`,
    uniqueName: pluginJson.id,
    clean: true,
  },
  externals: EXTERNALS,
  // The contract from its sources: its vocabulary is bundled, tree-shaken (its zod schemas are not).
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'], alias: { '@rpa-analytics/contract': path.resolve(ROOT, '../contract/src') } },
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              baseUrl: ROOT,
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
    ],
  },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        {
          from: 'src/plugin.json',
          to: '.',
          transform: (content) => content.toString().replace('%VERSION%', version).replace('%TODAY%', new Date().toISOString().slice(0, 10)),
        },
        { from: 'src/img', to: 'img' },
        { from: 'README.md', to: '.' },
        { from: 'CHANGELOG.md', to: '.' },
        { from: 'LICENSE', to: '.' },
      ],
    }),
  ],
  performance: { hints: false },
});
