'use strict';
// Draws one SVG of horizontal bars: requests/s per implementation, one group per Node version.
// Hand-written so the benchmark needs no plotting dependency.

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function barChart({ title, groups, highlight }) {
  const labelWidth = 330;
  const barWidth = 420;
  const rowHeight = 20;
  const max = Math.max(...groups.flatMap((group) => group.rows.map((row) => row.value)));
  const lines = [];
  let y = 40;
  for (const group of groups) {
    lines.push(`<text x="10" y="${y}" font-weight="bold">${escape(group.name)}</text>`);
    y += 8;
    group.rows.forEach((row, i) => {
      const width = Math.max(1, (row.value / max) * barWidth);
      const color = row.name === highlight ? '#d62728' : COLORS[i % COLORS.length];
      lines.push(`<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${escape(row.name)}</text>`);
      lines.push(`<rect x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${rowHeight - 5}" fill="${color}"/>`);
      lines.push(`<text x="${labelWidth + width + 5}" y="${y + 14}">${escape(Math.round(row.value).toLocaleString('en-US'))}</text>`);
      y += rowHeight;
    });
    y += 18;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="10" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...lines,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { barChart };
