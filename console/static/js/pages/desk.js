// 办公台 (the clerk's desk): what waits at my document desks (待办), by step, and the list of
// one step at a time; updated live as documents arrive or move.
import { useState } from "preact/hooks";
import { get } from "../api.js";
import { Badge, Loading, Table, html, useLoad, when } from "../ui.js";

export const STEPS = [
  ["incoming", "delivered", "待签收"], ["incoming", "received", "待登记"],
  ["incoming", "registered", "待初审"], ["incoming", "reviewed", "待拟办"],
  ["incoming", "proposed", "待批办"], ["incoming", "instructed", "待承办"],
  ["incoming", "handling", "承办中"], ["outgoing", "draft", "草稿"],
  ["outgoing", "returned", "已退回"], ["outgoing", "reviewing", "审核中"],
  ["outgoing", "signed", "待编号"], ["outgoing", "issued", "待分发"],
];

const URGENCY_TONE = { critical: "red", urgent: "yellow" };

export function DocumentRows({ items }) {
  return items.map((d) => html`<tr key=${d.id}>
    <td><a href=${`#/documents/${d.id}`}>${d.title}</a></td>
    <td>${d.doc_number || "—"}</td>
    <td>${d.direction === "incoming" ? d.issuing_unit?.name : d.unit?.name}</td>
    <td>${d.urgency !== "normal" ? html`<${Badge} tone=${URGENCY_TONE[d.urgency]}>${d.urgency_label}<//>` : d.urgency_label}</td>
    <td>${d.state_label}</td>
    <td class=${d.overdue ? "overdue" : ""}>${when(d.deadline)}${d.overdue ? "（已超期）" : ""}</td>
    <td>${when(d.updated_at)}</td>
  </tr>`);
}

function Tiles({ desk, chosen, onChoose }) {
  return html`<ul class="tiles" aria-label=${`${desk.unit.name} 待办`}>
    ${STEPS.map(([direction, state, label]) => {
      const count = desk[direction][state] ?? 0;
      const active = chosen[0] === direction && chosen[1] === state;
      return html`<li key=${state}><button type="button" class=${`tile${count ? " has" : ""}`}
        aria-pressed=${active} data-step=${state} onClick=${() => onChoose([direction, state])}>
        <span class="count">${count}</span><span>${label}</span></button></li>`;
    })}
  </ul>`;
}

function StepList({ chosen }) {
  const [direction, state] = chosen;
  const label = STEPS.find((s) => s[1] === state)?.[2];
  const list = useLoad(() => get("/v1/documents", { direction, state, limit: 50 }), [direction, state], ["document."]);
  return html`<section aria-labelledby="step-list">
    <h2 id="step-list">${direction === "incoming" ? "收文" : "发文"} · ${label}</h2>
    <${Loading} state=${list}>${(data) => html`<${Table} caption=${label}
      head=${["标题", "文号", direction === "incoming" ? "来文单位" : "拟稿单位", "紧急程度", "状态", "办理时限", "更新时间"]}
      rows=${DocumentRows({ items: data.items })} />`}<//>
  </section>`;
}

function Circulating() {
  const list = useLoad(() => get("/v1/documents/circulations", { state: "open", limit: 20 }), [], ["document."]);
  return html`<section aria-labelledby="circ-desk-title">
    <h2 id="circ-desk-title">传阅中</h2>
    <${Loading} state=${list}>${(data) => html`<${Table} caption="传阅中"
      head=${["公文", "方式", "当前在阅", "已阅", "期限"]}
      rows=${data.items.map((c) => html`<tr key=${c.id}>
        <td><a href=${`#/documents/${c.document_id}`}>${c.document_title}</a></td>
        <td>${c.mode === "sequential" ? "依次" : "同时"}</td>
        <td>${c.current.map((p) => p?.display_name).join("、") || "—"}</td>
        <td>${c.read_count}/${c.readers.length}</td>
        <td class=${c.overdue ? "overdue" : ""}>${when(c.due_at)}${c.overdue ? "（已超期）" : ""}</td></tr>`)}
      empty="没有传阅中的公文" />`}<//>
  </section>`;
}

export function DeskPage() {
  const desk = useLoad(() => get("/v1/documents/desk"), [], ["document.", "approval."]);
  const inbox = useLoad(() => get("/v1/approvals/inbox", { limit: 20 }), [], ["approval."]);
  const [chosen, setChosen] = useState(["incoming", "delivered"]);
  return html`<h1>办公台</h1>
    <${Loading} state=${desk}>${(data) => html`
      ${data.desks.length === 0 && html`<p class="muted">您不是任何单位的收发文员；这里只显示需要您本人办理的事项。</p>`}
      ${data.desks.map((d) => html`<section key=${d.unit.id} aria-label=${d.unit.name}>
        <h2>${d.unit.name}</h2>
        <${Tiles} desk=${d} chosen=${chosen} onChoose=${setChosen} />
      </section>`)}
      ${data.reading > 0 && html`<p><${Badge} tone="yellow">待阅 ${data.reading} 件<//> 传阅给您的公文，请在公文页面点“已阅”。</p>`}
    `}<//>
    ${desk.data?.desks.length > 0 && html`<${StepList} chosen=${chosen} key=${chosen.join()} />`}
    <${Circulating} />
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">待我签批</h2>
      <p class="muted">签批需要用手机上登记的设备签名，请在手机上办理。</p>
      <${Loading} state=${inbox}>${(data) => html`<${Table} caption="待我签批"
        head=${["事项", "环节", "送达时间"]}
        rows=${(data.items || []).map((item) => html`<tr key=${item.assignment_id}>
          <td>${item.chain.subject_type === "document"
            ? html`<a href=${`#/documents/${item.chain.subject_id}`}>${item.chain.title}</a>` : item.chain.title}</td>
          <td>${item.step.label}</td><td>${when(item.opened_at)}</td></tr>`)} />`}<//>
    </section>`;
}
