// The lab's page: it sends the form to POST /lab/run, reads the run's
// server-sent events from the response as they arrive, and fills the
// page in. fetch rather than EventSource: EventSource can only GET and
// cannot read a refusal's reason (a 400 or a 409), which the page shows.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("lab");
  const linkFields = ["loss", "burst", "delay", "jitter", "bandwidth", "queue"];
  let controller = null;
  let timer = null;
  let runID = "";
  let ended = false;

  // A slider writes its field; typing in the field moves the slider.
  for (const slider of document.querySelectorAll("input[type=range][data-for]")) {
    const field = $(slider.dataset.for);
    slider.addEventListener("input", () => { field.value = slider.value + slider.dataset.unit; });
    field.addEventListener("input", () => {
      const v = parseFloat(field.value);
      if (!Number.isNaN(v)) slider.value = field.value.endsWith("s") && !field.value.endsWith("ms") ? v * 1000 : v;
    });
  }

  // An empty field means the profile's figure: show it as the field's
  // placeholder, and the slider there.
  const profile = $("profile");
  function showProfile() {
    const opt = profile.selectedOptions[0];
    $("profile-about").textContent = opt.dataset.about;
    for (const f of linkFields) {
      $(f).placeholder = opt.dataset[f];
      const slider = $(f + "-slider");
      if (slider && $(f).value === "") slider.value = parseFloat(opt.dataset[f]) || 0;
    }
  }
  profile.addEventListener("change", showProfile);

  // The query fills the form, so a link can hold a setup (?loss=5%25);
  // run=1 starts it at once.
  const query = new URLSearchParams(location.search);
  for (const name of ["transport", "workload"]) {
    const wanted = query.getAll(name);
    if (wanted.length === 0) continue;
    for (const box of form.querySelectorAll(`input[name=${name}]`)) box.checked = wanted.includes(box.value);
  }
  for (const [name, value] of query) {
    const el = form.elements[name];
    if (el && !(el instanceof RadioNodeList) && el.type !== "checkbox") {
      el.value = value;
      el.dispatchEvent(new Event("input"));
    }
  }
  showProfile();

  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("stop").addEventListener("click", () => { if (controller) controller.abort(); });
  $("save-button").addEventListener("click", save);
  if (query.get("run") === "1") run();

  function status(text, kind) {
    $("status").textContent = text;
    $("status").className = kind || "";
  }

  function busy(on) {
    $("run").disabled = on;
    $("stop").disabled = !on;
    document.body.classList.toggle("running", on);
    clearInterval(timer);
    if (on) {
      const t0 = Date.now();
      timer = setInterval(() => { $("elapsed").textContent = `${Math.round((Date.now() - t0) / 1000)} s`; }, 500);
    }
  }

  async function run() {
    status("starting…");
    $("save").hidden = true;
    $("beside").hidden = true;
    $("save-status").textContent = "";
    controller = new AbortController();
    busy(true);
    try {
      const resp = await fetch("/lab/run", {
        method: "POST", body: new URLSearchParams(new FormData(form)), signal: controller.signal,
      });
      if (!resp.ok) {
        status(await resp.text(), "bad");
        return;
      }
      ended = false;
      await readEvents(resp.body, handle);
      if (!ended) status("the run's stream ended before its last word: the server may have stopped", "bad");
    } catch (err) {
      status(err.name === "AbortError" ? "stopped: the run was told to stop" : `lost the run: ${err.message}`, "bad");
    } finally {
      busy(false);
      controller = null;
    }
  }

  // readEvents parses a text/event-stream body as it arrives: events end
  // with a blank line, "event:" names one, "data:" lines carry it, and a
  // line starting with ":" is a comment (the server's heartbeat).
  async function readEvents(body, on) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") name = val;
          else if (field === "data") data.push(val);
        }
        if (data.length > 0) on(name, JSON.parse(data.join("\n")));
      }
    }
  }

  const rows = new Map();

  function handle(name, ev) {
    switch (name) {
      case "plan": {
        runID = ev.id;
        rows.clear();
        $("progress").hidden = false;
        $("log").replaceChildren();
        $("bar").max = ev.rows;
        $("bar").value = 0;
        $("count-text").textContent = `0 of ${ev.rows} rows`;
        $("command").textContent = `The same run from a terminal: ${ev.command}`;
        $("verdict").replaceChildren();
        const sections = $("sections");
        sections.replaceChildren();
        for (const id of ev.sections) {
          const s = document.createElement("section");
          s.id = `section-${id}`;
          const wait = document.createElement("p");
          wait.className = "wait";
          wait.textContent = `${id}: waiting for its first row…`;
          s.append(wait);
          sections.append(s);
        }
        status(`running (at most ${Math.round(ev.max_seconds)} s)…`);
        break;
      }
      case "row": {
        const key = `${ev.scenario} · ${ev.workload} · ${ev.transport}`;
        let li = rows.get(key);
        if (!li) {
          li = document.createElement("li");
          rows.set(key, li);
          $("log").append(li);
        }
        li.className = ev.status;
        const took = ev.seconds ? ` in ${ev.seconds.toFixed(1)} s` : "";
        const what = { running: "running…", ok: `done${took}`, failed: `failed: ${ev.error}`, interrupted: "interrupted" }[ev.status];
        li.textContent = `${key}: ${what}`;
        li.scrollIntoView({ block: "nearest" });
        $("bar").value = ev.done;
        $("count-text").textContent = `${ev.done} of ${$("bar").max} rows`;
        break;
      }
      case "section":
        // The server escaped every figure and name it drew.
        $(`section-${ev.id}`).innerHTML = ev.html;
        break;
      case "verdict":
        $("verdict").innerHTML = ev.html;
        break;
      case "end":
        ended = true;
        status(ev.message + ` (${ev.seconds.toFixed(1)} s)`, ev.ok ? "ok" : "bad");
        document.title = `netmatrix lab: ${ev.ok ? "done" : "stopped"}`;
        $("save").hidden = !ev.savable;
        $("save-button").disabled = !ev.savable;
        break;
      default:
        status(ev.message || `unexpected event ${name}`, "bad");
    }
  }

  async function save() {
    $("save-button").disabled = true;
    const resp = await fetch("/lab/save", { method: "POST", body: new URLSearchParams({ id: runID }) });
    if (!resp.ok) {
      $("save-status").textContent = await resp.text();
      return;
    }
    const s = await resp.json();
    const link = document.createElement("a");
    link.href = s.url;
    link.textContent = s.name;
    $("save-status").replaceChildren("Saved as ", link, ".");
    if (s.others && s.others.length > 0) {
      $("beside-a").value = s.name;
      const pick = $("beside-b");
      pick.replaceChildren();
      for (const o of s.others) {
        const opt = document.createElement("option");
        opt.value = o.name;
        opt.textContent = `${o.name}: ${o.title}`;
        pick.append(opt);
      }
      $("beside").hidden = false;
    }
  }
})();
