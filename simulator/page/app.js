// The customer's side of a Twitter DM conversation, and a pane for a human agent.
// Follows the simulator's long-poll feed; no build step, no dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
let state = null;
let after = 0;
let typingTimer = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function scrollDown() {
  const m = $("messages");
  m.scrollTop = m.scrollHeight;
}

// One message bubble: text, image, buttons; quick replies go to the chip bar.
function bubble(kind, data, profile) {
  const row = el("div", "row " + kind);
  const box = el("div");
  if (kind !== "customer") {
    const who = el("div", "who");
    if (profile) {
      const img = el("img", "avatar profile-avatar");
      img.src = profile.avatar_url;
      img.alt = profile.name;
      row.appendChild(img);
      who.appendChild(el("span", "profile-name", profile.name));
    } else if (kind === "agent") {
      who.textContent = "Agent (Twitter web app)";
    } else {
      who.textContent = state ? state.account.name : "Account";
    }
    box.appendChild(who);
  }
  const msg = el("div", "msg");
  msg.dataset.kind = kind;
  const att = data.attachment && data.attachment.media;
  if (att) {
    const img = el("img", "attachment");
    img.src = "/sim/media/" + (att.id_str || att.id);
    img.alt = "attachment";
    msg.appendChild(img);
  }
  msg.appendChild(el("span", "text", data.text || ""));
  if (Array.isArray(data.ctas) && data.ctas.length) {
    const ctas = el("div", "ctas");
    for (const c of data.ctas) {
      const a = el("a", "cta", c.label);
      // The server accepts only http(s) URLs; checked again here so a javascript: URL can never
      // become a link on this page.
      if (!/^https?:\/\//i.test(String(c.url))) continue;
      a.href = c.url;
      a.target = "_blank";
      a.rel = "noopener";
      ctas.appendChild(a);
    }
    msg.appendChild(ctas);
  }
  box.appendChild(msg);
  row.appendChild(box);
  $("messages").appendChild(row);
  showChips(kind === "customer" ? null : data.quick_reply);
  scrollDown();
}

// Quick replies belong to the newest message only; tapping one sends its label as the text and
// its metadata as quick_reply_response, as Twitter's apps do.
function showChips(quickReply) {
  const bar = $("chips");
  bar.textContent = "";
  if (!quickReply || !Array.isArray(quickReply.options)) return;
  for (const o of quickReply.options) {
    const chip = el("button", "chip", o.label);
    chip.type = "button";
    chip.dataset.metadata = o.metadata || "";
    if (o.description) chip.appendChild(el("small", "", o.description));
    chip.addEventListener("click", () => {
      bar.textContent = "";
      send("/sim/api/customer", { text: o.label, quick_reply_metadata: o.metadata || null });
    });
    bar.appendChild(chip);
  }
}

function setTyping(on) {
  $("typing").hidden = !on;
  if (on) $("typing").dataset.seen = "1";
  clearTimeout(typingTimer);
  // Twitter's typing indicator lasts a few seconds unless a message replaces it.
  if (on) typingTimer = setTimeout(() => ($("typing").hidden = true), 5000);
}

function show(item) {
  if (item.kind === "typing") {
    setTyping(true);
    return;
  }
  if (item.kind === "read") return;
  const ev = item.event || {};
  const data = (ev.message_create && ev.message_create.message_data) || {};
  if (item.from !== "customer") setTyping(false);
  bubble(item.from, data, item.profile);
  const line = el("div", "row " + item.from);
  line.appendChild(el("div", "msg", (item.from === "customer" ? "Customer: " : item.from === "agent" ? "You: " : "Bot: ") + (data.text || "")));
  $("agent-log").appendChild(line);
}

async function send(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) console.warn("send failed", r.status);
}

async function follow() {
  for (;;) {
    try {
      const r = await fetch("/sim/api/feed?after=" + after);
      const body = await r.json();
      for (const item of body.items) {
        if (item.seq <= after) continue;
        after = item.seq;
        show(item);
      }
    } catch (e) {
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

async function start() {
  state = await (await fetch("/sim/api/state")).json();
  $("account-name").textContent = state.account.name + " @" + state.account.screen_name;
  $("customer-name").textContent = state.customer.name;
  if (state.welcome) bubble("welcome", state.welcome.message_data, null);
  $("customer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("customer-input").value.trim();
    if (!text) return;
    $("customer-input").value = "";
    send("/sim/api/customer", { text });
  });
  $("agent-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("agent-input").value.trim();
    if (!text) return;
    $("agent-input").value = "";
    send("/sim/api/agent", { text });
  });
  document.body.dataset.ready = "1";
  follow();
}

start();
