internal import LedgeServing
/// The page `GET /` serves: self-contained HTML with inline CSS and a little
/// vanilla JavaScript (no external scripts, fonts or frameworks). It lists the
/// models with `POST /v2/repository/index`, uploads a dropped or chosen photo
/// as `multipart/form-data` to `POST /v2/models/{m}/classify?top_k=K`, and
/// shows the photo, the top-k labels with scores, the timing breakdown and any
/// `{"error"}` the server answers with.
///
/// Element ids: `#model` (select), `#topk`, `#drop`, `#file`, `#preview`,
/// `#results` (table of label and score), `#timing`, `#error`, `#status`, `#server`.
enum WebPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ledge serve</title>
        <style>
        :root { color-scheme: light dark; --accent: #2f6fde; --muted: #808080; --line: rgba(128,128,128,.35); }
        body { font: 15px/1.45 system-ui, sans-serif; max-width: 1040px; margin: 0 auto; padding: 24px; }
        h1 { font-size: 21px; margin: 0 0 18px; }
        .controls { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-end; margin-bottom: 14px; }
        .controls label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: var(--muted); }
        select, input[type=number] { font: inherit; padding: 4px 6px; min-width: 5em; }
        #drop { display: block; border: 2px dashed var(--line); border-radius: 12px; padding: 22px; text-align: center; cursor: pointer; }
        #drop.over { border-color: var(--accent); background: rgba(47,111,222,.08); }
        #drop input { display: block; margin: 10px auto 0; }
        #error { color: #d32f2f; font-weight: 600; min-height: 1.4em; margin: 12px 0; }
        .main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 28px; }
        #preview { max-width: 100%; max-height: 440px; border-radius: 10px; display: none; }
        table { border-collapse: collapse; width: 100%; }
        th, td { padding: 5px 6px; text-align: left; border-bottom: 1px solid var(--line); }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.meter { width: 38%; }
        .bar { height: 10px; border-radius: 5px; background: var(--accent); }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        #timing, #status, #server { color: var(--muted); font-variant-numeric: tabular-nums; }
        #server { margin-top: 28px; font-size: 12px; }
        </style>
        </head>
        <body>
        <h1>ledge serve: classify a photo</h1>
        <noscript><p>This page uploads photos with JavaScript. Without it, POST a JPEG or PNG to /v2/models/NAME/classify?top_k=5.</p></noscript>
        <div class="controls">
          <label>Model <select id="model"></select></label>
          <label>Top-k <input id="topk" type="number" min="1" max="1000" value="5"></label>
          <span id="status"></span>
        </div>
        <label id="drop">Drop a JPEG or PNG photo here, or choose one
          <input id="file" type="file" accept="image/jpeg,image/png"></label>
        <p id="error" role="alert"></p>
        <div class="main">
          <div><img id="preview" alt="the photo sent"></div>
          <div><div id="results"></div><p id="timing"></p></div>
        </div>
        <div id="server"></div>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        let photo = null;

        function showError(text) { $("error").textContent = text || ""; }

        async function getJSON(response) {
          try { return await response.json(); }
          catch { return { error: "HTTP " + response.status + " with a body that is not JSON" }; }
        }

        async function loadModels() {
          try {
            const response = await fetch("/v2/repository/index", {
              method: "POST", headers: { "Content-Type": "application/json" }, body: '{"ready": true}' });
            const models = await getJSON(response);
            if (!response.ok) throw new Error(models.error || "HTTP " + response.status);
            for (const model of models) {
              // One option per model: the index lists each ready version, highest last, and classify uses the highest.
              const listed = [...$("model").options].find((o) => o.value === model.name);
              if (listed) { listed.textContent = model.name + " (version " + model.version + ")"; continue; }
              const option = document.createElement("option");
              option.value = model.name;
              option.textContent = model.name + " (version " + model.version + ")";
              $("model").append(option);
            }
            const wanted = new URLSearchParams(location.search).get("model");
            if (wanted && models.some((m) => m.name === wanted)) $("model").value = wanted;
            if (models.length === 0) showError("the server has no models");
          } catch (error) {
            showError("could not list the models: " + error.message);
          }
          fetch("/v2").then((r) => r.json()).then((s) => { $("server").textContent = s.name + " " + s.version; }).catch(() => {});
        }

        function use(file) {
          if (!file) return;
          photo = file;
          const preview = $("preview");
          if (preview.src) URL.revokeObjectURL(preview.src);
          preview.src = URL.createObjectURL(file);
          preview.style.display = "block";
          classify();
        }

        async function classify() {
          if (!photo) return;
          const model = $("model").value;
          if (!model) { showError("no model is selected"); return; }
          const k = Math.max(1, parseInt($("topk").value, 10) || 5);
          const form = new FormData();
          form.append("image", photo, photo.name || "photo");
          showError("");
          $("status").textContent = "classifying " + (photo.name || "the photo") + "…";
          try {
            const response = await fetch("/v2/models/" + encodeURIComponent(model) + "/classify?top_k=" + k,
                                         { method: "POST", body: form });
            const body = await getJSON(response);
            if (!response.ok) {
              $("results").textContent = "";
              $("timing").textContent = "";
              showError(body.error || "HTTP " + response.status);
              return;
            }
            render(body);
          } catch (error) {
            showError("the request failed: " + error.message);
          } finally {
            $("status").textContent = "";
          }
        }

        function cell(row, text, className) {
          const td = row.insertCell();
          td.textContent = text;
          if (className) td.className = className;
          return td;
        }

        function render(body) {
          const table = document.createElement("table");
          const head = table.createTHead().insertRow();
          for (const title of ["#", "label", "", "score"]) {
            const th = document.createElement("th");
            th.textContent = title;
            head.append(th);
          }
          head.lastChild.className = "num";
          const rows = table.createTBody();
          body.top.forEach((entry, i) => {
            const row = rows.insertRow();
            const percent = entry.score * 100;
            cell(row, String(i + 1), "num");
            cell(row, entry.label);
            const bar = document.createElement("div");
            bar.className = "bar";
            bar.style.width = Math.min(100, Math.max(0, percent)).toFixed(1) + "%";
            cell(row, "", "meter").append(bar);
            cell(row, percent.toFixed(1) + " %", "num");
          });
          $("results").replaceChildren(table);
          const ms = (us) => (us / 1000).toFixed(1) + " ms";
          const t = body.timing_us;
          $("timing").textContent = body.model_name + ": decode " + ms(t.decode) + " · preprocess " + ms(t.preprocess) +
            " · infer " + ms(t.infer) + " · total " + ms(t.total);
        }

        $("file").addEventListener("change", () => use($("file").files[0]));
        $("model").addEventListener("change", classify);
        $("topk").addEventListener("change", classify);
        const drop = $("drop");
        for (const type of ["dragenter", "dragover"]) {
          drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); });
        }
        drop.addEventListener("dragleave", () => drop.classList.remove("over"));
        // A photo dropped anywhere on the page is classified (and never opened by the browser instead).
        window.addEventListener("dragover", (event) => event.preventDefault());
        window.addEventListener("drop", (event) => {
          event.preventDefault();
          drop.classList.remove("over");
          use(event.dataTransfer.files[0]);
        });
        loadModels();
        </script>
        </body>
        </html>

        """#
}
