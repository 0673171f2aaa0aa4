// Reads a JSON list of Markdown documents on stdin and prints, for each, what GFM's and Mermaid's own parsers make of
// it: the HTML elements it holds, its tables' cells as text, and for each ```mermaid block an error or every node's
// label as the renderer would show it, the edges with their styles, and the subgraphs.
// micromark with its GFM extension follows the CommonMark and GFM specs (tables, autolinks, strikethrough), as
// GitHub's renderer does; raw HTML is let through, as GitHub does before sanitising, so any that slips in shows.
// Mermaid needs a DOM (DOMPurify) even to parse: jsdom stands in for the browser.
import { JSDOM } from "jsdom";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

// Mermaid turns `#quot;`-style codes into placeholders while parsing (encodeEntities, src/utils.ts) and back into
// HTML entities in the SVG (decodeEntities); the browser then shows each entity as its character.
const textarea = document.createElement("textarea");
function shown(label) {
  textarea.innerHTML = String(label ?? "").replace(/ﬂ°°/g, "&#").replace(/ﬂ°/g, "&").replace(/¶ß/g, ";");
  return textarea.value;
}

async function diagram(text) {
  try {
    await mermaid.parse(text);
    const parsed = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = parsed.db;
    const nodes = {};
    for (const [id, vertex] of db.getVertices()) nodes[id] = { label: shown(vertex.text), classes: vertex.classes ?? [] };
    const edges = db.getEdges().map((edge) => ({
      start: edge.start,
      end: edge.end,
      label: shown(edge.text),
      stroke: edge.stroke,
      style: edge.style ?? [],
    }));
    const subgraphs = db.getSubGraphs().map((s) => ({ id: s.id, title: shown(s.title), nodes: s.nodes }));
    return { ok: true, type: parsed.type, nodes, edges, subgraphs };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error).slice(0, 2000) };
  }
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const markdown of JSON.parse(input)) {
  const html = micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
  const body = new JSDOM(`<!doctype html><html><body>${html}</body></html>`).window.document.body;
  const tags = [...new Set([...body.querySelectorAll("*")].map((element) => element.localName))].sort();
  const tables = [...body.querySelectorAll("table")].map((table) =>
    [...table.querySelectorAll("tr")].map((row) => [...row.children].map((cell) => cell.textContent)),
  );
  const links = [...body.querySelectorAll("a")].map((a) => a.getAttribute("href"));
  const diagrams = [];
  for (const code of body.querySelectorAll("pre > code.language-mermaid")) diagrams.push(await diagram(code.textContent));
  results.push({ tags, tables, links, text: body.textContent, diagrams });
}
process.stdout.write(JSON.stringify(results));
