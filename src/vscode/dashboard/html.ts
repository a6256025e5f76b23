// The dashboard page's HTML. Kept free of the `vscode` module so the same page (with its real CSP) is tested in
// chromium outside VS Code (test/integration/webview).
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the only origin scripts, styles, fonts and images may come from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce?: string;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function dashboardHtml({ cspSource, scriptUri, styleUri, nonce = newNonce() }: DashboardHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // Lit (@vscode-elements) uses constructable stylesheets; the nonce covers its <style> fallback.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
  ].join('; ');
  const exportButton = (chart: string) => `<vscode-button secondary data-export="${chart}" title="Save this chart as PNG in the docs' assets folder">Export PNG</vscode-button>`;
  const liveChart = (id: string, title: string, note = '') => `
      <section class="chart-card">
        <header><h3>${title}</h3>${exportButton(id)}</header>${note}
        <div class="chart-box"><canvas id="chart-${id}" aria-label="${title} chart" role="img"></canvas></div>
      </section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attribute(styleUri)}">
  <title>Serving Lab Dashboard</title>
  <script nonce="${nonce}">window.litNonce = ${JSON.stringify(nonce)};</script>
</head>
<body>
  <div id="error" class="error" role="alert" hidden></div>
  <p id="empty" class="empty">Nothing to show yet. Run <strong>Serving Lab: Benchmark GLM config</strong> to watch a benchmark live, or <strong>Serving Lab: Compare Results</strong> to compare two results.</p>
  <main>
    <section id="run-section" hidden>
      <header class="run-header">
        <div>
          <h2 id="run-title"></h2>
          <div id="run-host" class="muted"></div>
        </div>
        <span id="phase" class="badge"></span>
        <vscode-button id="stop" title="Stop the benchmark and the engine">Stop</vscode-button>
      </header>
      <code id="run-command" class="command" hidden></code>
      <div class="progress"><vscode-progress-bar id="progress-bar" aria-label="progress"></vscode-progress-bar><span id="progress-label"></span></div>
      <section id="lanes-section" hidden>
        <h3>Hosts measuring in parallel</h3>
        <div id="lanes" class="lanes"></div>
        <section id="queue-section" hidden><h3>Slurm queue</h3><table id="queue" class="comparison"></table></section>
      </section>
      <div id="live-charts" class="charts">${liveChart('throughput', 'Token throughput')}${liveChart('latency', 'TTFT / TPOT / E2E (engine p50–p99, mean)', '<p id="latency-note" class="chart-note muted" role="status" hidden></p>')}${liveChart('requests', 'Running, waiting and preempted requests')}${liveChart('kvCache', 'KV-cache usage and prefix-cache hits')}
      </div>
      <section id="summary-section" hidden><h3>Result</h3><table id="summary" class="summary"></table></section>
      <section><h3>Engine log</h3><pre id="log" class="log" tabindex="0"></pre></section>
    </section>
    <section id="search-section" hidden>
      <header class="run-header"><h2 id="search-title"></h2></header>
      <p class="muted">Measured candidates show their measurement; the rest their forecast under the host corrections fitted so far, with its 95% range. The table fills in as measurements arrive.</p>
      <p id="search-stopped" class="muted" role="status" hidden></p>
      <table id="search-table" class="comparison"></table>
    </section>
    <section id="curves-section" hidden>
      <header class="run-header"><h2 id="curves-title"></h2></header>
      <p class="muted">Each point is one load level: a dot meets the SLO, a cross breaks it, a triangle could not keep up. The shaded band is where the capacity lies as far as the points measured so far tell.</p>
      <div class="charts">${liveChart('curveThroughput', 'Achieved req/s and goodput against load')}${liveChart('curveTtft', 'p99 TTFT against load')}${liveChart('curveTpot', 'p99 TPOT against load')}${liveChart('paretoTpot', 'Pareto front: tokens/s per GPU against p99 TPOT')}${liveChart('paretoTtft', 'Pareto front: tokens/s per GPU against p99 TTFT')}
      </div>
      <table id="curves-table" class="comparison"></table>
    </section>
    <section id="comparison-section" hidden>
      <header class="run-header"><h2 id="comparison-title"></h2>${exportButton('comparison')}</header>
      <div class="chart-box wide"><canvas id="chart-comparison" aria-label="comparison chart" role="img"></canvas></div>
      <table id="comparison-table" class="comparison"></table>
      <ul id="comparison-notes" class="muted" aria-label="metric definitions that differ between the tools" hidden></ul>
    </section>
  </main>
  <div id="status" class="muted" role="status"></div>
  <script nonce="${nonce}" src="${attribute(scriptUri)}"></script>
</body>
</html>`;
}
