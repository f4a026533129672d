/// The explorer page: controls with labels, three pictures (face, style mix, walk).
let pageHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StyleGAN explorer</title>
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>StyleGAN explorer</h1>
  <p id="model" aria-live="polite">loading model…</p>
</header>
<main>
  <section class="panel" aria-labelledby="face-title">
    <h2 id="face-title">Face</h2>
    <figure class="picture">
      <img id="face-img" alt="generated face" width="256" height="256">
      <div class="spinner" id="face-spinner" role="status" hidden>rendering…</div>
    </figure>
    <p class="error" id="face-error" role="alert"></p>
    <div class="controls">
      <label for="seed">Seed</label>
      <div class="row">
        <input id="seed" type="number" min="0" max="4294967295" step="1" value="5" inputmode="numeric">
        <button id="random" type="button">Random</button>
      </div>
      <label for="psi">Truncation ψ <output id="psi-value" for="psi">0.7</output></label>
      <input id="psi" type="range" min="-1" max="2" step="0.05" value="0.7">
      <label for="cutoff">Truncation cutoff (layers)</label>
      <input id="cutoff" type="number" min="0" max="18" step="1" value="8">
      <label class="check"><input id="noise" type="checkbox"> Random noise</label>
      <a class="button" id="face-download" download="face.png" href="#">Download PNG</a>
    </div>
  </section>

  <section class="panel" aria-labelledby="mix-title">
    <h2 id="mix-title">Style mixing</h2>
    <figure class="picture">
      <img id="mix-img" alt="face of the row seed with styles from the column seed" width="256" height="256">
      <div class="spinner" id="mix-spinner" role="status" hidden>rendering…</div>
    </figure>
    <p class="error" id="mix-error" role="alert"></p>
    <div class="controls">
      <label for="row">Row seed (keeps the other styles)</label>
      <input id="row" type="number" min="0" max="4294967295" step="1" value="1" inputmode="numeric">
      <label for="col">Column seed (gives these styles)</label>
      <input id="col" type="number" min="0" max="4294967295" step="1" value="2" inputmode="numeric">
      <label for="styles">Layers taken from the column seed</label>
      <select id="styles">
        <option value="coarse">coarse (pose, shape)</option>
        <option value="middle">middle (features)</option>
        <option value="fine">fine (colours, texture)</option>
        <option value="custom">custom range</option>
      </select>
      <div class="row" id="custom-range" hidden>
        <label for="from-layer">from</label>
        <input id="from-layer" type="number" min="0" step="1" value="0">
        <label for="to-layer">to</label>
        <input id="to-layer" type="number" min="0" step="1" value="3">
      </div>
      <a class="button" id="mix-download" download="mix.png" href="#">Download PNG</a>
    </div>
  </section>

  <section class="panel" aria-labelledby="walk-title">
    <h2 id="walk-title">Walk</h2>
    <figure class="picture">
      <img id="walk-img" alt="a face between the two seeds" width="256" height="256">
      <div class="spinner" id="walk-spinner" role="status" hidden>rendering…</div>
    </figure>
    <p class="error" id="walk-error" role="alert"></p>
    <div class="controls">
      <label for="walk-from">From seed</label>
      <input id="walk-from" type="number" min="0" max="4294967295" step="1" value="1" inputmode="numeric">
      <label for="walk-to">To seed</label>
      <input id="walk-to" type="number" min="0" max="4294967295" step="1" value="2" inputmode="numeric">
      <label for="t">Position <output id="t-value" for="t">0.50</output></label>
      <input id="t" type="range" min="0" max="1" step="0.01" value="0.5">
      <label for="mode">Interpolation</label>
      <select id="mode"><option value="slerp">slerp (spherical)</option><option value="lerp">lerp (linear)</option></select>
      <label for="space">Latent space</label>
      <select id="space"><option value="z">z (input)</option><option value="w">w (mapped)</option></select>
      <a class="button" id="walk-download" download="walk.png" href="#">Download PNG</a>
    </div>
  </section>
</main>
</body>
</html>
"""#
