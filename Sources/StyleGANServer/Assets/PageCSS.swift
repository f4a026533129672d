/// The page's style: three panels side by side, wrapping on narrow screens.
let pageCSS = #"""
:root { color-scheme: light dark; --accent: #3b6fd6; --panel: rgba(127, 127, 127, 0.08); }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1000px; padding: 1rem; font: 15px/1.4 system-ui, sans-serif; }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
#model { margin: 0; opacity: 0.75; font-size: 0.9rem; }
main { display: flex; flex-wrap: wrap; gap: 1rem; }
.panel { flex: 1 1 280px; background: var(--panel); border-radius: 8px; padding: 0.75rem; }
.picture { position: relative; margin: 0 auto; width: 256px; height: 256px; background: #8884; }
.picture img { display: block; width: 256px; height: 256px; }
.spinner { position: absolute; inset: auto 0 0 0; padding: 0.25rem; text-align: center; font-size: 0.85rem;
           background: #000a; color: #fff; }
.spinner::before { content: ""; display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em;
                   border: 2px solid #fff; border-right-color: transparent; border-radius: 50%;
                   animation: spin 0.8s linear infinite; vertical-align: -0.1em; }
@keyframes spin { to { transform: rotate(360deg); } }
.error { min-height: 1.2em; margin: 0.3rem 0; color: #d33; font-size: 0.85rem; }
.controls { display: flex; flex-direction: column; gap: 0.3rem; }
.controls label { font-weight: 600; font-size: 0.9rem; }
.controls label.check { font-weight: normal; }
.row { display: flex; gap: 0.5rem; align-items: center; }
.row input { flex: 1; min-width: 0; }
input, select, button, .button { font: inherit; padding: 0.3rem 0.4rem; }
button, .button { border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff;
                  text-decoration: none; text-align: center; cursor: pointer; }
.button { margin-top: 0.4rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
[hidden] { display: none !important; }
"""#
