import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PdfLine {
  /** From the top of the page, in points. */
  y: number;
  x: number;
  /** The largest font size on the line. */
  size: number;
  text: string;
}

export interface PdfPage {
  height: number;
  lines: PdfLine[];
  /** Drawing operations: paths built, stroked and filled (charts, table rules). */
  paths: number;
  strokes: number;
  fills: number;
}

/**
 * PDFs read back by PDF.js, in a process of its own (it is an ES module; Jest runs CommonJS):
 * each page's text lines top-down, with their positions and font sizes.
 */
export function pdfLayouts(pdfs: Buffer[]): Array<{ pages: PdfPage[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-pdf-layout-'));
  try {
    const files = pdfs.map((pdf, i) => {
      const file = path.join(dir, `${i}.pdf`);
      fs.writeFileSync(file, pdf);
      return file;
    });
    const out = execFileSync(process.execPath, [path.join(__dirname, 'readPdfLayout.mjs'), ...files], { maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(out.toString()) as Array<{ pages: PdfPage[] }>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
