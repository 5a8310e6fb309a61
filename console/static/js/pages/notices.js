// 通知公告 and 会议通知: my inbox and what I sent; composing with the audience picked from the
// org tree and by name; a notice's confirmations per unit, live, with a reminder to those who
// have not confirmed (提醒未确认). Meetings open their live board (meeting.js).
import { useState } from "preact/hooks";
import { get, idempotencyKey, post } from "../api.js";
import {
  Badge, Done, Field, Loading, PersonPicker, Problem, Table, UnitPicker, fromLocal, go, html,
  localIn, orgRoots, useAction, useLoad, when,
} from "../ui.js";

const KIND = { notice: "通知", meeting: "会议" };
const STATE = { published: "已发布", sending: "发送中", withdrawn: "已撤回", cancelled: "已取消" };

function link(n) { return n.kind === "meeting" ? `#/meetings/${n.id}` : `#/notices/${n.id}`; }

export function NoticesPage() {
  const [box, setBox] = useState("inbox");
  const list = useLoad(() => get("/v1/notices", { box, limit: 50 }), [box], ["notice."]);
  return html`<h1>通知会议</h1>
    <div class="buttons"><a class="button primary" href="#/notices/new">发布通知或会议</a></div>
    <nav class="tabs" aria-label="通知">
      <button type="button" aria-pressed=${box === "inbox"} onClick=${() => setBox("inbox")}>收到的</button>
      <button type="button" aria-pressed=${box === "sent"} onClick=${() => setBox("sent")}>我发布的</button>
    </nav>
    <${Loading} state=${list}>${(data) => html`<${Table} caption=${box === "inbox" ? "收到的通知" : "我发布的通知"}
      head=${["标题", "类型", "状态", "时间", box === "inbox" ? "我的回执" : "接收人数"]}
      rows=${data.items.map((n) => html`<tr key=${n.id}><td><a href=${box === "sent" ? link(n) : `#/notices/${n.id}`}>${n.title}</a></td>
        <td>${KIND[n.kind]}</td><td>${STATE[n.state] || n.state}</td>
        <td>${when(n.meeting?.starts_at || n.published_at || n.created_at)}</td>
        <td>${box === "inbox" ? (n.receipt?.confirmed_at ? "已确认" : n.receipt?.read_at ? "已读" : "未读") : n.recipient_count}</td></tr>`)} />`}<//>`;
}

export function ComposePage({ me }) {
  const roots = useLoad(() => orgRoots(me), [me.id]);
  const [form, setForm] = useState({ kind: "notice", title: "", body: "", urgency: "normal",
    requires_confirmation: true, include_subunits: true, starts_at: localIn(24), ends_at: localIn(26), location: "" });
  const [units, setUnits] = useState([]);
  const [people, setPeople] = useState([]);
  const action = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const submit = async (event) => {
    event.preventDefault();
    const body = { kind: form.kind, title: form.title, body: form.body, urgency: form.urgency,
      requires_confirmation: form.requires_confirmation,
      audience: { units: units.map((u) => u.id), include_subunits: form.include_subunits, people: people.map((p) => p.id) } };
    if (form.kind === "meeting") body.meeting = { starts_at: fromLocal(form.starts_at), ends_at: fromLocal(form.ends_at), location: form.location };
    const made = await action.run(() => post("/v1/notices", body, { headers: { "Idempotency-Key": idempotencyKey() } }), "已发布");
    if (made) go(made.kind === "meeting" ? `/meetings/${made.id}` : `/notices/${made.id}`);
  };
  const f = action.fields;
  return html`<h1>发布通知或会议</h1>
    <form onSubmit=${submit} class="form-grid">
      <${Problem} error=${action.error} />
      <${Field} label="类型">${(id) => html`<select id=${id} value=${form.kind} onChange=${set("kind")}>
        <option value="notice">通知公告</option><option value="meeting">会议通知</option></select>`}<//>
      <${Field} label="标题" error=${f.title}>${(id) => html`<input id=${id} required value=${form.title} onInput=${set("title")} />`}<//>
      <${Field} label="正文" error=${f.body}>${(id) => html`<textarea id=${id} rows="5" value=${form.body} onInput=${set("body")} />`}<//>
      <${Field} label="紧急程度">${(id) => html`<select id=${id} value=${form.urgency} onChange=${set("urgency")}>
        <option value="normal">普通</option><option value="urgent">紧急</option><option value="critical">特急</option></select>`}<//>
      ${form.kind === "meeting" && html`
        <${Field} label="开始时间" error=${f.meeting}>${(id) => html`<input id=${id} type="datetime-local" required value=${form.starts_at} onInput=${set("starts_at")} />`}<//>
        <${Field} label="结束时间">${(id) => html`<input id=${id} type="datetime-local" required value=${form.ends_at} onInput=${set("ends_at")} />`}<//>
        <${Field} label="地点">${(id) => html`<input id=${id} required value=${form.location} onInput=${set("location")} />`}<//>`}
      <${Loading} state=${roots}>${(r) => html`<${UnitPicker} label="接收单位" roots=${r} value=${units} onChange=${setUnits} error=${f.audience} />`}<//>
      <label class="check"><input type="checkbox" checked=${form.include_subunits} onChange=${set("include_subunits")} /> 含下级单位</label>
      <${PersonPicker} label="接收人员" value=${people} onChange=${setPeople} />
      <label class="check"><input type="checkbox" checked=${form.requires_confirmation} onChange=${set("requires_confirmation")} /> 需要确认收到</label>
      <div class="buttons"><button type="submit" class="primary" disabled=${action.busy}>发布</button></div>
    </form>`;
}

export function UnitCounts({ stats, columns }) {
  return html`<${Table} caption="各单位情况" head=${["单位", "应到/接收", ...columns.map(([, l]) => l)]}
    rows=${stats.units.map((u) => html`<tr key=${u.unit_id ?? "none"} data-unit=${u.unit_id}>
      <th scope="row">${u.unit_name || "（无单位）"}</th><td>${u.counts.total}</td>
      ${columns.map(([key]) => html`<td data-count=${key}>${u.counts[key] ?? 0}</td>`)}</tr>`)} />`;
}

function PublisherView({ notice }) {
  const stats = useLoad(() => get(`/v1/notices/${notice.id}/stats`), [notice.id], ["notice."]);
  const action = useAction();
  const remind = (target) => action.run(() => post(`/v1/notices/${notice.id}/remind`, { target }), "已发送提醒");
  const columns = notice.requires_confirmation ? [["read", "已读"], ["unread", "未读"], ["confirmed", "已确认"], ["unconfirmed", "未确认"]]
    : [["read", "已读"], ["unread", "未读"]];
  return html`<section aria-labelledby="stats-title"><h2 id="stats-title">接收情况（实时）</h2>
    <${Problem} error=${action.error} /><${Done} text=${action.done} />
    <${Loading} state=${stats}>${(s) => html`
      <ul class="kpis">${[["接收", s.totals.total], ...columns.map(([k, l]) => [l, s.totals[k]])].map(([l, v]) => html`
        <li data-kpi=${l}><span class="value">${v}</span><span>${l}</span></li>`)}</ul>
      <${UnitCounts} stats=${s} columns=${columns} />
      ${s.units.some((u) => u.lists) && html`<details><summary>未确认人员名单</summary><ul>
        ${s.units.flatMap((u) => (u.lists?.[notice.requires_confirmation ? "unconfirmed" : "unread"] || []).map((p) => html`<li>${u.unit_name}：${p.display_name}</li>`))}</ul></details>`}`}<//>
    <div class="buttons">
      ${notice.requires_confirmation && html`<button type="button" onClick=${() => remind("unconfirmed")}>提醒未确认</button>`}
      <button type="button" onClick=${() => remind("unread")}>提醒未读</button>
      <a class="button" href=${`/v1/notices/${notice.id}/stats.csv`} download>导出回执</a>
    </div>
  </section>`;
}

function RecipientView({ notice, reload }) {
  const action = useAction();
  const receipt = notice.receipt;
  const act = async (what, success) => { if (await action.run(() => post(`/v1/notices/${notice.id}/${what}`), success)) reload(); };
  return html`<section><h2>我的回执</h2><${Problem} error=${action.error} />
    <p>${receipt.confirmed_at ? `已确认（${when(receipt.confirmed_at)}）` : receipt.read_at ? `已读（${when(receipt.read_at)}）` : "未读"}</p>
    <div class="buttons">
      ${!receipt.read_at && html`<button type="button" onClick=${() => act("read", "已标记已读")}>标记已读</button>`}
      ${notice.requires_confirmation && !receipt.confirmed_at && html`<button type="button" class="primary" onClick=${() => act("confirm", "已确认")}>确认收到</button>`}
    </div></section>`;
}

export function NoticePage({ id, me }) {
  const notice = useLoad(() => get(`/v1/notices/${id}`), [id], ["notice."]);
  return html`<${Loading} state=${notice}>${(n) => html`
    <h1>${n.title}</h1>
    <p class="meta"><${Badge}>${KIND[n.kind]}<//> ${STATE[n.state] || n.state} · 发布于 ${when(n.published_at || n.created_at)}
      ${n.kind === "meeting" && html` · <a href=${`#/meetings/${n.id}`}>会议看板</a>`}</p>
    <div class="body-text">${n.body}</div>
    ${n.publisher_id === me.id && html`<${PublisherView} notice=${n} />`}
    ${n.receipt && html`<${RecipientView} notice=${n} reload=${notice.reload} />`}`}<//>`;
}
