// The demo page: plain JavaScript, no build step. Everything shown comes from the server's
// conversation book (bot/demo/book.py); cards are drawn from the JSON the bot sent to WeCom.
"use strict";

const state = { me: null, people: new Map(), entries: new Map(), events: null, offset: 0 };
const $ = (id) => document.getElementById(id);
const WEEK = "日一二三四五六";
const CHIPS = ["帮助", "我的", "缺记", "我的得分", "查看 本单位", "评分", "待批请假"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("show"), 4000);
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `出错了（HTTP ${response.status}）`);
  return data;
}

// ---- the bot's clock (Asia/Shanghai), ticking between server updates ----

function setClock(iso) {
  state.offset = Date.parse(iso) - Date.now();
  renderClock();
}

function shanghai(ms) {
  // Shift to UTC+8 and read the UTC fields: the page may run in any time zone.
  const d = new Date(ms + 8 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    day: `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
    week: WEEK[d.getUTCDay()],
  };
}

function renderClock() {
  const t = shanghai(Date.now() + state.offset);
  $("now").textContent = `${t.date}（周${t.week}）${t.time}`;
}

// ---- who am I ----

async function loadPeople() {
  const data = await api("/demo/api/people");
  const box = $("people");
  box.replaceChildren();
  for (const unit of data.units) {
    const list = el("div", { class: "unit" }, el("h3", {}, unit.unit));
    for (const p of unit.people) {
      state.people.set(p.userid, p);
      list.append(personRow(p));
    }
    box.append(list);
  }
}

// Someone the visitor spoke or tapped as is left to the visitor: the district stops logging,
// rating and asking for leave for them until they are handed back.
function personRow(p) {
  const meta = [p.position, p.role, p.rank !== p.role ? p.rank : ""].filter(Boolean).join(" · ");
  const row = el("div", { class: "person-row", "data-row": p.userid }, el("button", {
    class: p.userid === state.me ? "person active" : "person", "data-userid": p.userid, onclick: () => choose(p.userid),
  }, el("span", { class: "name" }, p.name), el("span", { class: "meta" }, meta)));
  if (p.played) {
    row.append(el("div", { class: "played" }, el("span", {}, "由您扮演，不自动记日志"), el("button", {
      type: "button", class: "handback", title: "交还给模拟：之后照常自动记日志、评分、测评",
      onclick: () => handBack(p.userid),
    }, "交还")));
  }
  return row;
}

function markPlayed(userid, played) {
  const p = state.people.get(userid);
  if (!p || p.played === played) return;
  p.played = played;
  document.querySelector(`[data-row="${CSS.escape(userid)}"]`)?.replaceWith(personRow(p));
}

async function handBack(userid) {
  try {
    await api("/demo/api/handback", { as: userid });
    markPlayed(userid, false);
    toast(`已交还${state.people.get(userid)?.name || userid}：拨动时间后，照常自动记日志、评分、测评`);
  } catch (error) {
    toast(error.message);
  }
}

function noSuchPerson(userid) {
  $("who").textContent = "";
  $("messages").replaceChildren(el("div", { class: "empty nobody" }, `没有此人：${userid}\n请在左侧选择身份。`));
}

async function choose(userid) {
  state.me = userid;
  const url = new URL(location.href);
  url.searchParams.set("as", userid);
  history.replaceState(null, "", url);
  for (const button of document.querySelectorAll(".person")) {
    button.classList.toggle("active", button.dataset.userid === userid);
  }
  const person = state.people.get(userid);
  $("who").textContent = person ? person.name : userid;
  if (state.events) state.events.close();
  state.entries.clear();
  $("messages").replaceChildren();
  const data = await api(`/demo/api/conversation?as=${encodeURIComponent(userid)}`);
  setClock(data.now);
  for (const entry of data.entries) show(entry);
  if (!data.entries.length) {
    $("messages").append(el("div", { class: "empty" },
      "这里是您与「实绩考核助手」的对话。\n直接发送今天做了什么即记为工作日志；\n也可以点下面的命令试试。"));
  }
  // From the last entry read: one pushed between the two requests is replayed, not lost.
  const after = Math.max(0, ...data.entries.map((entry) => entry.id));
  state.events = new EventSource(`/demo/api/events?as=${encodeURIComponent(userid)}&after=${after}`);
  state.events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "clock") setClock(event.now);
    else show(event.entry);
  };
  $("text").focus();
}

// ---- the conversation ----

function show(entry) {
  const box = $("messages");
  box.querySelector(".empty")?.remove();
  const old = state.entries.get(entry.id);
  state.entries.set(entry.id, entry);
  const row = renderEntry(entry);
  if (old) {
    box.querySelector(`[data-entry="${entry.id}"]`)?.replaceWith(row);
    return;
  }
  const last = [...state.entries.values()].at(-2);
  const at = Date.parse(entry.at);
  if (!last || last === entry || at - Date.parse(last.at) > 5 * 60 * 1000) {
    const t = shanghai(at);
    box.append(el("div", { class: "time" }, `${t.day} 周${t.week} ${t.time}`));
  }
  box.append(row);
  box.scrollTop = box.scrollHeight;
}

function renderEntry(entry) {
  const mine = entry.side === "me";
  const person = state.people.get(state.me);
  const avatar = el("div", { class: "avatar" }, mine ? (person ? person.name.slice(-1) : "我") : "绩");
  let body;
  if (entry.kind === "card") body = renderCard(entry);
  else if (entry.kind === "markdown") body = el("div", { class: "bubble md" }, ...markdown(entry.text));
  else if (entry.kind === "text") body = el("div", { class: "bubble" }, entry.text);
  else if (entry.kind === "image") body = el("div", { class: "bubble" }, el("img", { src: `/demo/api/media/${entry.media_id}`, alt: "图片", style: "max-width:100%" }));
  else if (entry.kind === "file") body = el("div", { class: "bubble" }, el("a", { href: `/demo/api/media/${entry.media_id}`, download: entry.filename || "" }, `📎 ${entry.filename || "下载文件"}`));
  else body = el("div", { class: "bubble" }, `[${entry.kind}]`);
  return el("div", { class: `row ${mine ? "me" : "bot"}`, "data-entry": entry.id }, avatar, body);
}

function markdown(text) {
  // WeCom's markdown subset, enough for what the bot sends: **bold** and line breaks.
  return text.split(/(\*\*[^*]+\*\*)/).map((part) =>
    part.startsWith("**") && part.endsWith("**") ? el("strong", {}, part.slice(2, -2)) : part);
}

function renderCard(entry) {
  const card = entry.card;
  const box = el("div", { class: "card", "data-card": entry.card_no, "data-task": card.task_id });
  box.append(el("span", { class: "no" }, `卡片 ${entry.card_no}`));
  if (card.source?.desc) box.append(el("div", { class: "source" }, card.source.desc));
  if (card.main_title) {
    box.append(el("div", { class: "title" }, card.main_title.title || ""));
    if (card.main_title.desc) box.append(el("div", { class: "desc" }, card.main_title.desc));
  }
  if (card.sub_title_text) box.append(el("div", { class: "sub" }, card.sub_title_text));
  if (card.quote_area) {
    box.append(el("div", { class: "quote" }, el("b", {}, card.quote_area.title || ""), card.quote_area.quote_text || ""));
  }
  for (const item of card.horizontal_content_list || []) {
    box.append(el("div", { class: "kv" }, el("span", { class: "k" }, item.keyname), el("span", { class: "v" }, item.value || "")));
  }
  const selects = [];
  const addSelect = (selection) => {
    const select = el("select", { "data-question": selection.question_key, "aria-label": selection.title || "选择" },
      ...(selection.option_list || []).map((o) => el("option", { value: o.id, selected: o.id === selection.selected_id }, o.text)));
    selects.push(select);
    box.append(el("div", { class: "select" }, el("span", {}, selection.title || ""), select));
  };
  if (card.button_selection) addSelect(card.button_selection);
  for (const selection of card.select_list || []) addSelect(selection);
  const decided = card.replace_text || entry.replace_name;
  if (decided) {
    box.append(el("div", { class: "decided" }, decided));
    for (const select of selects) select.disabled = true;
    return box;
  }
  const buttons = card.button_list || (card.submit_button ? [{ ...card.submit_button, style: 1 }] : []);
  if (buttons.length) {
    box.append(el("div", { class: "buttons" }, ...buttons.map((b) => el("button", {
      class: Number(b.style) === 1 ? "primary" : "",
      onclick: (event) => tap(entry, b.key, selects, event.target),
    }, b.text))));
  }
  return box;
}

async function tap(entry, key, selects, button) {
  const selected = {};
  for (const select of selects) selected[select.dataset.question] = [select.value];
  button.disabled = true;
  try {
    await api("/demo/api/card", { as: state.me, entry: entry.id, key, selected });
    markPlayed(state.me, true);
  } catch (error) {
    toast(error.message);
  } finally {
    button.disabled = false;
  }
}

async function send(text) {
  text = text.trim();
  if (!text || !state.me) return;
  $("text").value = "";
  try {
    await api("/demo/api/send", { as: state.me, text });
    markPlayed(state.me, true);
  } catch (error) {
    toast(error.message);
    $("text").value = text;
  }
}

async function travel(to) {
  const buttons = document.querySelectorAll(".travel button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const data = await api("/demo/api/clock", { to, at: $("travel-at").value });
    setClock(data.now);
  } catch (error) {
    toast(error.message);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

async function start() {
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); send($("text").value); });
  for (const chip of CHIPS) $("chips").append(el("button", { type: "button", onclick: () => send(chip) }, chip));
  for (const button of document.querySelectorAll(".travel button")) {
    button.addEventListener("click", () => travel(button.dataset.to));
  }
  setInterval(renderClock, 1000);
  setClock((await api("/demo/api/clock")).now);
  await loadPeople();
  const wanted = new URL(location.href).searchParams.get("as");
  if (wanted && !state.people.has(wanted)) noSuchPerson(wanted);  // never someone else instead
  else await choose(wanted || "chengguan_wuhao");
}

start().catch((error) => toast(error.message));
