/// The page's behaviour: each picture follows its controls (debounced, at most one
/// request in flight per picture, newest wins), with a spinner after 150 ms.
let pageJS = #"""
"use strict";
const $ = (id) => document.getElementById(id);
const MAX_SEED = 4294967295;

// One picture fed by an API URL. At most one request is in flight; when the controls
// change meanwhile, only the newest URL is fetched once it returns.
class Picture {
  constructor(name, url) {
    this.name = name;
    this.url = url;                 // () => the API URL for the current controls
    this.img = $(name + "-img");
    this.spinner = $(name + "-spinner");
    this.error = $(name + "-error");
    this.download = $(name + "-download");
    this.wanted = null;             // newest URL asked for
    this.shown = null;              // URL of the image on screen (or of the last error)
    this.busy = false;
    this.timer = 0;
    this.blob = null;
  }

  // Debounced: a slider sends many input events per second.
  schedule(delay = 60) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), delay);
  }

  async update() {
    this.wanted = this.url();
    if (this.busy) return;
    this.busy = true;
    const slow = setTimeout(() => { this.spinner.hidden = false; }, 150);
    while (this.wanted !== this.shown) {
      const target = this.wanted;
      try {
        const response = await fetch(target);
        if (!response.ok) {
          const body = await response.json().catch(() => ({ error: response.statusText }));
          const retry = response.status === 503 ? Number(response.headers.get("Retry-After") || 1) : 0;
          throw Object.assign(new Error(body.error || response.statusText), { retry });
        }
        const blob = URL.createObjectURL(await response.blob());
        await new Promise((resolve) => { this.img.onload = this.img.onerror = resolve; this.img.src = blob; });
        if (this.blob) URL.revokeObjectURL(this.blob);
        this.blob = blob;
        this.download.href = blob;
        this.download.download = this.name + "-" + new URL(target, location).search.slice(1).replace(/[^\w.=-]+/g, "_") + ".png";
        this.img.dataset.src = target;   // what is on screen (read by tools/browser_test.py)
        this.error.textContent = "";
      } catch (e) {
        this.error.textContent = e.message;
        if (e.retry) setTimeout(() => { this.shown = null; this.update(); }, e.retry * 1000);
      }
      this.shown = target;
    }
    clearTimeout(slow);
    this.spinner.hidden = true;
    this.busy = false;
  }
}

const value = (id) => encodeURIComponent($(id).value.trim());
const truncation = () => `psi=${value("psi")}&cutoff=${value("cutoff")}`;
const styles = () => $("styles").value === "custom" ? `${value("from-layer")}-${value("to-layer")}` : $("styles").value;

const pictures = {
  face: new Picture("face", () => `/api/image?seed=${value("seed")}&${truncation()}&noise=${$("noise").checked ? "random" : "const"}`),
  mix: new Picture("mix", () => `/api/mix?row=${value("row")}&col=${value("col")}&styles=${encodeURIComponent(styles())}&${truncation()}`),
  walk: new Picture("walk", () => `/api/interpolate?from=${value("walk-from")}&to=${value("walk-to")}&t=${value("t")}&mode=${value("mode")}&space=${value("space")}&${truncation()}`),
};

// Which pictures each control affects.
const controls = {
  seed: ["face"], noise: ["face"], psi: ["face", "mix", "walk"], cutoff: ["face", "mix", "walk"],
  row: ["mix"], col: ["mix"], styles: ["mix"], "from-layer": ["mix"], "to-layer": ["mix"],
  "walk-from": ["walk"], "walk-to": ["walk"], t: ["walk"], mode: ["walk"], space: ["walk"],
};

function showOutputs() {
  $("psi-value").textContent = Number($("psi").value).toFixed(2);
  $("t-value").textContent = Number($("t").value).toFixed(2);
  $("custom-range").hidden = $("styles").value !== "custom";
}

for (const [id, names] of Object.entries(controls)) {
  const onChange = () => { showOutputs(); names.forEach((n) => pictures[n].schedule()); };
  $(id).addEventListener("input", onChange);
  $(id).addEventListener("change", onChange);
}

$("random").addEventListener("click", () => {
  $("seed").value = Math.floor(Math.random() * (MAX_SEED + 1));
  pictures.face.schedule(0);
});

// Prevent following a download link before the first image exists.
for (const name of Object.keys(pictures)) {
  $(name + "-download").addEventListener("click", (e) => { if (!pictures[name].blob) e.preventDefault(); });
}

async function start() {
  try {
    const info = await (await fetch("/api/info")).json();
    const t = info.truncation;
    $("model").textContent = `${info.file.name}: ${info.resolution}×${info.resolution}, ${info.layers} style layers, latent ${info.latentSize}`;
    Object.assign($("psi"), { min: t.psiRange[0], max: t.psiRange[1], value: t.psi });
    Object.assign($("cutoff"), { min: t.cutoffRange[0], max: t.cutoffRange[1], value: t.cutoff });
    for (const id of ["from-layer", "to-layer"]) $(id).max = info.layers - 1;
    for (const option of $("styles").options) option.disabled = option.value !== "custom" && !info.styles[option.value];
  } catch (e) {
    $("model").textContent = "could not read /api/info: " + e.message;
  }
  showOutputs();
  Object.values(pictures).forEach((p) => p.schedule(0));
}

start();
"""#
