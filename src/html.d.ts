/** HTML files are bundled as text modules (wrangler's default rule for *.html). */
declare module "*.html" {
  const content: string;
  export default content;
}
