// waakhond review console: keyboard shortcuts, audited media reveal, covered lines, a break reminder.
// Plain JavaScript, no dependencies; every change still goes through a CSRF-checked form or request.
(function () {
  "use strict";
  const csrf = document.body.dataset.csrf || "";
  const page = document.body.dataset.page;

  // ---- queue: j/k to move, Enter/o to open ----
  const rows = Array.from(document.querySelectorAll("table.queue tbody tr"));
  let sel = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) return;
    sel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.classList.toggle("selected", j === sel));
    rows[sel].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) select(0);
  rows.forEach((r, i) => r.addEventListener("click", (e) => {
    if (e.target.closest("a")) return;
    select(i); window.location = r.dataset.href;
  }));

  // ---- case page: covered lines, media reveal ----
  document.querySelectorAll("[data-covered]").forEach((el) => {
    const show = () => { el.classList.remove("covered"); el.removeAttribute("title"); };
    el.addEventListener("click", show);
    el.addEventListener("keydown", (e) => { if (e.key === "Enter") show(); });
  });

  async function reveal(button) {
    const fig = button.closest("figure");
    button.disabled = true;
    try {
      const res = await fetch(button.dataset.reveal, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch", "Accept": "application/json" },
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
      const img = fig.querySelector("img");
      img.src = body.url;
      img.alt = "media " + fig.dataset.media + " (revealed, greyscale)";
      fig.classList.remove("hidden-media"); fig.classList.add("revealed");
      button.hidden = true;
      const colour = fig.querySelector("button.colour");
      if (colour) colour.hidden = false;
    } catch (err) {
      button.disabled = false;
      let msg = fig.querySelector(".error");
      if (!msg) { msg = document.createElement("p"); msg.className = "error"; fig.appendChild(msg); }
      msg.textContent = "Could not reveal: " + err.message;
    }
  }
  document.querySelectorAll("button[data-reveal]").forEach((b) => b.addEventListener("click", () => reveal(b)));
  document.querySelectorAll("button.colour").forEach((b) => b.addEventListener("click", () => {
    const fig = b.closest("figure"); fig.classList.toggle("colour");
    b.textContent = fig.classList.contains("colour") ? "greyscale" : "show colour";
  }));

  // ---- keyboard ----
  const help = document.getElementById("help");
  const nav = document.getElementById("case-nav");
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) {
      if (e.key === "Escape") t.blur();
      return;
    }
    const prefix = "/console";
    switch (e.key) {
      case "?": help.hidden = !help.hidden; break;
      case "Escape": help.hidden = true; break;
      case "j":
        if (page === "queue") select(sel + 1);
        else if (nav && nav.dataset.next) window.location = prefix + "/cases/" + nav.dataset.next;
        break;
      case "k":
        if (page === "queue") select(sel - 1);
        else if (nav && nav.dataset.prev) window.location = prefix + "/cases/" + nav.dataset.prev;
        break;
      case "Enter": case "o":
        if (page === "queue" && sel >= 0) window.location = rows[sel].dataset.href;
        break;
      case "u": window.location = prefix + "/"; break;
      case "a": window.location = prefix + "/approvals"; break;
      case "n": { const n = document.getElementById("note"); if (n) { e.preventDefault(); n.focus(); } break; }
      case "r": { const b = document.querySelector("button[data-reveal]:not([hidden]):not([disabled])"); if (b) reveal(b); break; }
      default: return;
    }
  });

  // ---- wellness: suggest a break after 50 minutes of reviewing ----
  const KEY = "waakhond.reviewStart";
  if (page && page !== "login") {
    let start = Number(sessionStorage.getItem(KEY));
    if (!start) { start = Date.now(); sessionStorage.setItem(KEY, String(start)); }
    const remind = document.getElementById("break-reminder");
    const check = () => { if (Date.now() - start > 50 * 60 * 1000) remind.hidden = false; };
    check(); setInterval(check, 60 * 1000);
    const ok = remind.querySelector("[data-dismiss-break]");
    ok.addEventListener("click", () => { sessionStorage.setItem(KEY, String(Date.now())); remind.hidden = true; start = Date.now(); });
  }
})();
