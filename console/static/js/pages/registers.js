// 登记簿 (收文/发文 registers): a unit's register for a year, filtered, paged, and exported as
// CSV (the browser downloads it with the session cookie; Excel opens it, UTF-8 with BOM).
import { useState } from "preact/hooks";
import { get, params } from "../api.js";
import { Badge, Field, Loading, Table, go, html, useLoad, when } from "../ui.js";

const STATES = {
  incoming: [["delivered", "待签收"], ["received", "已签收"], ["registered", "已登记"],
    ["reviewed", "已初审"], ["proposed", "待批办"], ["instructed", "已批办"], ["handling", "承办中"],
    ["done", "已办结"], ["bounced", "已退文"], ["archived", "已归档"]],
  outgoing: [["issued", "已编号"], ["distributed", "已分发"], ["archived", "已归档"]],
};

function Filters({ me, filters, onChange, kind }) {
  const set = (name) => (event) => onChange({ ...filters, [name]: event.target.value });
  const year = new Date().getFullYear();
  return html`<form class="filters" aria-label="筛选" onSubmit=${(e) => e.preventDefault()}>
    <${Field} label="单位">${(id) => html`<select id=${id} value=${filters.unit_id} onChange=${set("unit_id")}>
      ${me.units.map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select>`}<//>
    <${Field} label="年度">${(id) => html`<select id=${id} value=${filters.year} onChange=${set("year")}>
      ${[year, year - 1, year - 2].map((y) => html`<option value=${y}>${y}</option>`)}</select>`}<//>
    <${Field} label="紧急程度">${(id) => html`<select id=${id} value=${filters.urgency} onChange=${set("urgency")}>
      <option value="">全部</option><option value="normal">平件</option><option value="urgent">加急</option><option value="critical">特急</option></select>`}<//>
    <${Field} label="状态">${(id) => html`<select id=${id} value=${filters.state} onChange=${set("state")}>
      <option value="">全部</option>${STATES[kind].map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`}<//>
    <${Field} label="超期">${(id) => html`<select id=${id} value=${filters.overdue} onChange=${set("overdue")}>
      <option value="">全部</option><option value="true">仅超期</option><option value="false">未超期</option></select>`}<//>
  </form>`;
}

function rows(kind, items) {
  return items.map((d) => html`<tr key=${d.id}>
    <td>${kind === "incoming" ? d.incoming_number || "—" : d.doc_number || "—"}</td>
    <td><a href=${`#/documents/${d.id}`}>${d.title}</a></td>
    <td>${kind === "incoming" ? d.issuing_unit?.name : d.signer?.display_name || "—"}</td>
    <td>${d.doc_type_label}</td><td>${d.urgency_label}</td>
    <td>${when(kind === "incoming" ? d.received_at : d.issued_at)}</td>
    <td>${d.state_label}${d.overdue ? html` <${Badge} tone="red">超期<//>` : ""}</td>
  </tr>`);
}

export function RegistersPage({ me, kind }) {
  const register = kind === "outgoing" ? "outgoing" : "incoming";
  const [filters, setFilters] = useState({ unit_id: me.units[0]?.id, year: new Date().getFullYear(), urgency: "", state: "", overdue: "" });
  const [cursors, setCursors] = useState([null]);
  const query = { ...filters, cursor: cursors[cursors.length - 1], limit: 50 };
  const list = useLoad(() => get(`/v1/documents/registers/${register}`, query), [register, JSON.stringify(query)], ["document."]);
  const change = (next) => { setFilters(next); setCursors([null]); };
  const title = register === "incoming" ? "收文登记簿" : "发文登记簿";
  const exportUrl = `/v1/documents/registers/${register}/export?${params(filters)}`;
  return html`<h1>${title}</h1>
    <nav class="tabs" aria-label="登记簿"><a href="#/registers/incoming" aria-current=${register === "incoming" ? "page" : undefined}>收文</a>
      <a href="#/registers/outgoing" aria-current=${register === "outgoing" ? "page" : undefined}>发文</a></nav>
    <${Filters} me=${me} filters=${filters} onChange=${change} kind=${register} />
    <p><a class="button" href=${exportUrl} download>导出 CSV</a></p>
    <${Loading} state=${list}>${(data) => html`
      <${Table} caption=${title} head=${[register === "incoming" ? "收文编号" : "发文字号", "标题",
        register === "incoming" ? "来文单位" : "签发人", "文种", "紧急程度", register === "incoming" ? "签收时间" : "编号时间", "状态"]}
        rows=${rows(register, data.items)} />
      <div class="buttons">
        ${cursors.length > 1 && html`<button type="button" onClick=${() => setCursors(cursors.slice(0, -1))}>上一页</button>`}
        ${data.next_cursor && html`<button type="button" onClick=${() => setCursors([...cursors, data.next_cursor])}>下一页</button>`}
      </div>`}<//>`;
}
