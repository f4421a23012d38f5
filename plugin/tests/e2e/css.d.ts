/** The test pages' bundler gives a stylesheet as its text (webpack.pages.js: asset/source). */
declare module '*.css' {
  const text: string;
  export default text;
}
