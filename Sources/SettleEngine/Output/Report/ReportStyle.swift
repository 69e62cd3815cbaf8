/// The report's stylesheet, inlined into the page: readable on screen, and on paper (colours kept,
/// sections not split across pages).
enum ReportStyle {
    static let css = """
    :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bar: #2f6fb0; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--ink); background: #f6f8fa; }
    main { max-width: 1000px; margin: 0 auto; padding: 20px 24px 32px; background: #fff; }
    h1 { font-size: 22px; margin: 0 0 2px; }
    h2 { font-size: 17px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
    h3 { font-size: 14px; margin: 14px 0 6px; }
    .meta, .note, footer { color: var(--muted); font-size: 12px; }
    footer { margin-top: 24px; border-top: 1px solid var(--line); padding-top: 8px; }
    code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
    .banner { border-left: 6px solid; padding: 10px 14px; margin: 12px 0; border-radius: 4px; }
    .banner p { margin: 4px 0 0; }
    .banner .verdict { font-size: 18px; font-weight: 600; }
    .banner.ok { border-color: var(--ok); background: #dafbe1; }
    .banner.warn { border-color: var(--warn); background: #fff8c5; }
    .banner.bad { border-color: var(--bad); background: #ffebe9; }
    .pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; }
    .pill.ok { background: var(--ok); } .pill.warn { background: var(--warn); } .pill.bad { background: var(--bad); }
    .bad-text { color: var(--bad); font-size: 12px; }
    .muted { color: var(--muted); font-size: 12px; }
    .path { word-break: break-all; }
    .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
    .card { flex: 1 1 150px; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
    .card .value { font-size: 20px; font-weight: 600; }
    .card .label { color: var(--muted); font-size: 12px; }
    table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 12.5px; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { background: #f6f8fa; font-weight: 600; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .wide { overflow-x: auto; }
    .samples td { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
    .samples td:last-child { word-break: break-all; }
    .track { display: inline-block; width: 100px; height: 10px; background: #eef1f4; }
    .bar { display: block; height: 10px; background: var(--bar); }
    svg { display: block; margin: 6px 0; }
    svg .label { font: 11px sans-serif; fill: var(--muted); }
    svg .lane { fill: #f6f8fa; }
    svg .axis { stroke: #8c959f; stroke-width: 1; }
    svg .grid { stroke: #e6e9ed; stroke-width: 1; }
    svg .area { fill: #2f6fb0; fill-opacity: 0.35; stroke: #2f6fb0; stroke-width: 1.5; }
    @media print {
      body { background: #fff; }
      main { max-width: none; padding: 0; }
      section, table, svg { break-inside: avoid; }
      .wide { overflow: visible; }
      .samples td, .samples th { font-size: 10px; word-break: break-all; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }
    """
}
