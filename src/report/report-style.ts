/**
 * The report's stylesheet, inlined into the page (no external fonts or
 * files: the report must open offline, from an e-mail or an archive).
 */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5f6877; --line: #dde1e7;
  --fresh: #3f9b5a; --cached: #3b78c4; --stale: #e08a2c; --blocked: #c94040;
  --ran: #e08a2c; --restored: #3b78c4; --failed: #c94040; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c5cbd6; }
main { padding: 8px 28px 40px; max-width: 1280px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 18px; margin: 16px 0; overflow-x: auto; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.note { color: var(--muted); }
.banner { border-radius: 6px; padding: 8px 12px; margin: 12px 0 0;
  background: #fff4e0; border: 1px solid #f0c27a; color: #6b4300; }
.banner strong { letter-spacing: .02em; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 6px;
  border-radius: 9px; background: #fff4e0; color: #6b4300; border: 1px solid #f0c27a; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.stat b { display: block; font-size: 20px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
  vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.state { font-weight: 600; }
.state.fresh { color: var(--fresh); } .state.cached { color: var(--cached); }
.state.stale { color: var(--stale); } .state.blocked { color: var(--blocked); }
.bar-cell { width: 240px; }
.hbar { height: 10px; background: var(--ran); border-radius: 2px; min-width: 1px; }
ul.reasons { margin: 0; padding-left: 18px; }
details summary { cursor: pointer; color: var(--muted); }
svg text { font: 11.5px system-ui, sans-serif; fill: var(--fg); }
svg.dag .node rect { fill: #fff; stroke-width: 2; }
svg.dag .node.fresh rect { stroke: var(--fresh); } svg.dag .node.cached rect { stroke: var(--cached); }
svg.dag .node.stale rect { stroke: var(--stale); } svg.dag .node.blocked rect { stroke: var(--blocked); }
svg.dag .node text.sub { fill: var(--muted); font-size: 10.5px; }
svg.dag .edge { fill: none; stroke: #8a8f98; stroke-width: 1.2; }
svg.timeline .bar.ran rect { fill: var(--ran); } svg.timeline .bar.restored rect { fill: var(--restored); }
svg.timeline .bar.failed rect { fill: var(--failed); } svg.timeline .bar.fresh rect { fill: var(--fresh); }
svg.timeline .bar text { fill: #fff; font-size: 10.5px; }
svg.timeline .lane { fill: var(--muted); } svg.timeline .lane-sep { stroke: var(--line); }
svg.timeline .tick { stroke: #eceff3; fill: var(--muted); font-size: 10.5px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 4px; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure img { display: block; max-width: 100%; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
img.slice { image-rendering: pixelated; width: 256px; height: auto; background: #000; }
figure.slice { width: 290px; }
`;
