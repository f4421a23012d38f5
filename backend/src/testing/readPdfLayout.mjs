// Reads PDFs back with PDF.js (pdfjs-dist): each page's text as lines, with positions and font
// sizes, and how many drawing operations it has. Run as `node readPdfLayout.mjs FILE...`; prints JSON.
import fs from 'node:fs';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

async function read(file) {
  const pdf = await getDocument({
    data: new Uint8Array(fs.readFileSync(file)),
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  }).promise;
  const pages = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const { height } = page.getViewport({ scale: 1 });
    const content = await page.getTextContent();
    // Text items on one baseline make a line; y is measured from the top of the page.
    const lines = new Map();
    for (const item of content.items) {
      if (!item.str.trim()) continue;
      const y = Math.round((height - item.transform[5]) * 10) / 10;
      const size = Math.round(Math.hypot(item.transform[2], item.transform[3]) * 10) / 10;
      const line = lines.get(y) ?? { y, size: 0, x: Infinity, text: [] };
      line.size = Math.max(line.size, size);
      line.x = Math.min(line.x, item.transform[4]);
      line.text.push({ x: item.transform[4], str: item.str });
      lines.set(y, line);
    }
    const ops = await page.getOperatorList();
    const count = (op) => ops.fnArray.filter((f) => f === op).length;
    pages.push({
      height,
      lines: [...lines.values()]
        .sort((a, b) => a.y - b.y)
        .map((l) => ({
          y: l.y,
          x: Math.round(l.x),
          size: l.size,
          text: l.text
            .sort((a, b) => a.x - b.x)
            .map((t) => t.str)
            .join(' '),
        })),
      paths: count(OPS.constructPath),
      strokes: count(OPS.stroke),
      fills: count(OPS.fill) + count(OPS.eoFill),
    });
  }
  return { pages };
}

const out = [];
for (const file of process.argv.slice(2)) out.push(await read(file));
process.stdout.write(JSON.stringify(out));
