// 公文 (one document): its elements and files, the 收文处理单 of an incoming record, the next step
// of its flow as a form (签收 → 登记 → 初审 → 拟办 → [批办 on the leader's phone] → 承办 → 办结 →
// 归档; outgoing: 送审 → [签发] → 编号 → 分发 → 归档), 传阅 with who holds it and who has read,
// and its history. The page follows the feed: another desk's move shows here at once.
import { useState } from "preact/hooks";
import { get, idempotencyKey, post } from "../api.js";
import {
  Badge, Done, Field, Loading, PersonPicker, Problem, Table, UnitPicker, fromLocal, go, html,
  localIn, orgRoots, useAction, useLoad, when,
} from "../ui.js";

const ACTIONS = {
  "document.create": "拟稿", "document.edit": "修改", "document.submit": "送审",
  "document.sign": "签发", "document.return": "退回", "document.issue": "编号",
  "document.distribute": "分发", "document.deliver": "送达", "document.receive": "签收",
  "document.register": "登记", "document.review": "初审", "document.propose": "拟办",
  "document.instruct": "批办", "document.instruction_return": "批办退回",
  "document.assign": "承办", "document.complete": "办结", "document.answer": "答复",
  "document.archive": "归档", "document.circulate": "传阅", "document.circulation_read": "阅文",
  "document.circulation_remind": "催阅", "document.circulation_overdue": "传阅超期",
};

function Step({ title, children }) {
  return html`<section class="card step" aria-labelledby="next-step"><h2 id="next-step">${title}</h2>${children}</section>`;
}

function ActionButton({ label, path, body, reload, success }) {
  const action = useAction();
  return html`<div>
    <${Problem} error=${action.error} /><${Done} text=${action.done} />
    <button type="button" class="primary" disabled=${action.busy}
      onClick=${async () => { if (await action.run(() => post(path, body), success)) reload(); }}>${label}</button>
  </div>`;
}

function ReviewForm({ doc, reload }) {
  const [reason, setReason] = useState("");
  const action = useAction();
  const decide = async (decision) => {
    if (await action.run(() => post(`/v1/documents/${doc.id}/review`, { decision, reason }), decision === "accept" ? "已通过初审" : "已退文")) reload();
  };
  return html`<${Step} title="初审">
    <${Problem} error=${action.error} />
    <${Field} label="退回理由（退文时必填）" error=${action.fields.reason}>${(id) => html`
      <textarea id=${id} rows="2" value=${reason} onInput=${(e) => setReason(e.target.value)} />`}<//>
    <div class="buttons">
      <button type="button" class="primary" disabled=${action.busy} onClick=${() => decide("accept")}>通过初审</button>
      <button type="button" disabled=${action.busy} onClick=${() => decide("return")}>退文</button>
    </div>
  <//>`;
}

function ProposeForm({ doc, reload }) {
  const [proposal, setProposal] = useState("");
  const [leaders, setLeaders] = useState([]);
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const body = { proposal, leader_ids: leaders.map((p) => p.id) };
    if (await action.run(() => post(`/v1/documents/${doc.id}/propose`, body), "已送领导批办")) reload();
  };
  return html`<${Step} title="拟办（送领导批办）"><form onSubmit=${submit}>
    <${Problem} error=${action.error} /><${Done} text=${action.done} />
    <${Field} label="拟办意见" error=${action.fields.proposal}>${(id) => html`
      <textarea id=${id} rows="3" required value=${proposal} onInput=${(e) => setProposal(e.target.value)}
        placeholder="如：拟请王局长阅示，由办公室牵头办理。" />`}<//>
    <${PersonPicker} label="批办领导" value=${leaders} onChange=${setLeaders} error=${action.fields.leader_ids} />
    <button type="submit" class="primary" disabled=${action.busy}>送批办</button>
  </form><//>`;
}

function AssignForm({ doc, me, reload }) {
  const [lead, setLead] = useState([]);
  const [due, setDue] = useState(localIn(24 * 7));
  const [note, setNote] = useState("");
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const body = { lead: lead[0] ? { type: "person", id: lead[0].id } : { type: "unit", id: doc.unit.id },
      due_at: fromLocal(due), note };
    if (await action.run(() => post(`/v1/documents/${doc.id}/assign`, body), "已交承办")) reload();
  };
  return html`<${Step} title="承办"><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <${PersonPicker} label="主办人（不选则由本单位主办）" value=${lead} onChange=${setLead} single=${true} />
    <${Field} label="办理期限" error=${action.fields.due_at}>${(id) => html`
      <input id=${id} type="datetime-local" required value=${due} onInput=${(e) => setDue(e.target.value)} />`}<//>
    <${Field} label="承办要求">${(id) => html`<textarea id=${id} rows="2" value=${note} onInput=${(e) => setNote(e.target.value)} />`}<//>
    <button type="submit" class="primary" disabled=${action.busy}>交办</button>
  </form><//>`;
}

function CompleteForm({ doc, reload }) {
  const [result, setResult] = useState("");
  const [continues, setContinues] = useState(false);
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    if (await action.run(() => post(`/v1/documents/${doc.id}/complete`, { result, continues }), "已办结")) reload();
  };
  return html`<${Step} title="办结"><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <${Field} label="办结情况" error=${action.fields.result}>${(id) => html`
      <textarea id=${id} rows="3" required value=${result} onInput=${(e) => setResult(e.target.value)} />`}<//>
    <label class="check"><input type="checkbox" checked=${continues} onChange=${(e) => setContinues(e.target.checked)} />
      工作仍在继续（督办事项不关闭）</label>
    <button type="submit" class="primary" disabled=${action.busy}>办结</button>
  </form><//>`;
}

const FORWARDABLE = ["received", "registered", "reviewed", "proposed", "instructed", "handling", "done", "archived"];

// 转发: a new outgoing draft of this desk carrying the received document, to units under it.
function ForwardForm({ doc }) {
  const [units, setUnits] = useState([]);
  const [text, setText] = useState("");
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const body = { main_units: units.map((u) => u.id), text };
    const made = await action.run(() => post(`/v1/documents/${doc.id}/forward`, body,
      { headers: { "Idempotency-Key": idempotencyKey() } }), "已生成转发稿");
    if (made) go(`/documents/${made.id}`);
  };
  return html`<details class="card"><summary>转发</summary><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <${UnitPicker} label="转发至（主送）" roots=${[doc.unit]} value=${units} onChange=${setUnits} error=${action.fields.main_units} />
    <${Field} label="转发语" error=${action.fields.text}>${(id) => html`
      <textarea id=${id} rows="3" required value=${text} onInput=${(e) => setText(e.target.value)}
        placeholder="现将《……》转发给你们，请认真贯彻落实。" />`}<//>
    <button type="submit" disabled=${action.busy}>生成转发稿</button>
  </form></details>`;
}

function SubmitForm({ doc, reload }) {
  const [reviewers, setReviewers] = useState([]);
  const [cosigners, setCosigners] = useState([]);
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const chain = [];
    if (reviewers.length) chain.push({ label: "核稿", mode: "one", assignees: { people: reviewers.map((p) => p.id) } });
    if (cosigners.length) chain.push({ label: "会签", mode: "all", assignees: { people: cosigners.map((p) => p.id) } });
    if (await action.run(() => post(`/v1/documents/${doc.id}/submit`, { chain }), "已送审")) reload();
  };
  return html`<${Step} title="送审（核稿 → 会签 → 签发）"><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <p><a href=${`#/draft/${doc.id}`}>修改稿件</a></p>
    <${PersonPicker} label="核稿人（可不选）" value=${reviewers} onChange=${setReviewers} />
    <${PersonPicker} label="会签人（可不选）" value=${cosigners} onChange=${setCosigners} />
    <p class="muted">签发人：${doc.signer?.display_name || "（稿件未填写签发人）"}；签发环节自动加在最后，由签发人在手机上签发。</p>
    <button type="submit" class="primary" disabled=${action.busy}>送审</button>
  </form><//>`;
}

function IssueForm({ doc, reload }) {
  const series = useLoad(() => get("/v1/documents/series", { unit_id: doc.unit.id }), [doc.unit.id]);
  const [chosen, setChosen] = useState("");
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const id = Number(chosen || series.data?.items.find((s) => s.kind === "outgoing")?.id);
    if (await action.run(() => post(`/v1/documents/${doc.id}/issue`, { series_id: id }), "已编号")) reload();
  };
  return html`<${Step} title="编号（发文字号）"><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <${Loading} state=${series}>${(data) => html`<${Field} label="机关代字">${(id) => html`
      <select id=${id} value=${chosen} onChange=${(e) => setChosen(e.target.value)}>
        ${data.items.filter((s) => s.kind === "outgoing").map((s) => html`<option value=${s.id}>${s.prefix}</option>`)}
      </select>`}<//>`}<//>
    <button type="submit" class="primary" disabled=${action.busy}>编号</button>
  </form><//>`;
}

function DistributeForm({ doc, me, reload }) {
  const roots = useLoad(() => orgRoots(me), [me.id]);
  const [units, setUnits] = useState([]);
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    if (await action.run(() => post(`/v1/documents/${doc.id}/distribute`, { units: units.map((u) => u.id) }), "已分发")) reload();
  };
  return html`<${Step} title="分发"><form onSubmit=${submit}>
    <${Problem} error=${action.error} />
    <p class="muted">不选单位则分发给主送、抄送单位：${[...doc.main_units, ...doc.cc_units].map((u) => u.name).join("、") || "—"}</p>
    <${Loading} state=${roots}>${(data) => html`<${UnitPicker} label="分发单位" roots=${data} value=${units} onChange=${setUnits} />`}<//>
    <button type="submit" class="primary" disabled=${action.busy}>分发</button>
  </form><//>`;
}

function NextStep({ doc, me, reload }) {
  const base = `/v1/documents/${doc.id}`;
  const archive = html`<${Step} title="归档"><${ActionButton} label="归档" path=${`${base}/archive`} reload=${reload} success="已归档" /><//>`;
  if (doc.direction === "incoming") {
    switch (doc.state) {
      case "delivered": return html`<${Step} title="签收"><${ActionButton} label="签收" path=${`${base}/receive`} reload=${reload} success="已签收" /><//>`;
      case "received": return html`<${Step} title="登记"><p class="muted">登记后自动取得收文编号。</p><${ActionButton} label="登记" path=${`${base}/register`} reload=${reload} success="已登记" /><//>`;
      case "registered": return html`<${ReviewForm} doc=${doc} reload=${reload} />`;
      case "reviewed": return html`<${ProposeForm} doc=${doc} reload=${reload} />`;
      case "proposed": return html`<${Step} title="待批办"><p>已送领导批办；领导在手机上签批后，这里即可交承办。</p><//>`;
      case "instructed": return html`<${AssignForm} doc=${doc} me=${me} reload=${reload} />`;
      case "handling": return html`<${CompleteForm} doc=${doc} reload=${reload} />`;
      case "done": case "bounced": return archive;
      default: return null;
    }
  }
  switch (doc.state) {
    case "draft": case "returned": case "rejected": return html`<${SubmitForm} doc=${doc} reload=${reload} />`;
    case "reviewing": case "resigning": return html`<${Step} title="审核中"><p>正在核稿、会签或签发，审批人在手机上签批。</p><//>`;
    case "signed": return html`<${IssueForm} doc=${doc} reload=${reload} />`;
    case "issued": return html`<${DistributeForm} doc=${doc} me=${me} reload=${reload} />`;
    case "distributed": return archive;
    default: return null;
  }
}

function Receipt({ receipt }) {
  if (!receipt) return null;
  const rows = [
    ["送达", when(receipt.delivered_at)], ["签收", receipt.received_at ? `${when(receipt.received_at)} ${receipt.received_by?.display_name || ""}` : "—"],
    ["收文编号", receipt.incoming_number || "—"], ["初审", receipt.reviewed_at ? when(receipt.reviewed_at) : receipt.return_reason ? `退文：${receipt.return_reason}` : "—"],
    ["拟办意见", receipt.proposal ? `${receipt.proposal}（${receipt.proposed_by?.display_name || ""}）` : "—"],
    ["批办意见", receipt.instruction ? `${receipt.instruction}（${receipt.instructed_by?.display_name || ""} ${when(receipt.instructed_at)}）` : "—"],
    ["承办期限", when(receipt.handling_due)], ["办结情况", receipt.result || "—"],
  ];
  return html`<section aria-labelledby="receipt-title"><h2 id="receipt-title">收文处理单</h2>
    <dl class="grid">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>`;
}

function Circulations({ doc, me }) {
  const list = useLoad(() => get(`/v1/documents/${doc.id}/circulations`, { limit: 20 }), [doc.id], ["document."]);
  const [readers, setReaders] = useState([]);
  const [mode, setMode] = useState("parallel");
  const [comment, setComment] = useState("");
  const action = useAction();
  const start = async (event) => {
    event.preventDefault();
    const body = { reader_ids: readers.map((p) => p.id), mode };
    if (await action.run(() => post(`/v1/documents/${doc.id}/circulations`, body, { headers: { "Idempotency-Key": idempotencyKey() } }), "已发起传阅")) {
      setReaders([]); list.reload();
    }
  };
  const read = async (c) => {
    if (await action.run(() => post(`/v1/documents/${doc.id}/circulations/${c.id}/read`, { comment }), "已阅")) list.reload();
  };
  const remind = (c) => action.run(() => post(`/v1/documents/${doc.id}/circulations/${c.id}/remind`, {}), "已催阅");
  const STATE = { waiting: "未轮到", pending: "在阅", read: "已阅" };
  return html`<section aria-labelledby="circ-title"><h2 id="circ-title">传阅</h2>
    <${Problem} error=${action.error} /><${Done} text=${action.done} />
    <${Loading} state=${list}>${(data) => data.items.map((c) => html`<div class="card" key=${c.id}>
      <p>${c.mode === "sequential" ? "依次传阅" : "同时传阅"} · 发起人 ${c.created_by?.display_name} · ${when(c.created_at)}
        · 已阅 ${c.read_count}/${c.readers.length} ${c.state === "finished" ? html`<${Badge} tone="green">已结束<//>` : html`<${Badge}>在办<//>`}
        ${c.overdue && html` <${Badge} tone="red">超期<//>`}</p>
      <p>当前在阅：<strong>${c.current.map((p) => p?.display_name).join("、") || "—"}</strong></p>
      <${Table} caption="传阅人员" head=${["顺序", "姓名", "状态", "阅文时间", "阅示"]}
        rows=${c.readers.map((r) => html`<tr key=${r.position}><td>${r.position + 1}</td><td>${r.person?.display_name}</td>
          <td>${STATE[r.state] || r.state}</td><td>${when(r.read_at)}</td><td>${r.comment || ""}</td></tr>`)} />
      ${c.readers.some((r) => r.person?.id === me.id && r.state === "pending") && html`<div class="inline">
        <${Field} label="阅示（可不填）">${(id) => html`<input id=${id} value=${comment} onInput=${(e) => setComment(e.target.value)} />`}<//>
        <button type="button" class="primary" onClick=${() => read(c)}>已阅</button></div>`}
      ${c.state === "open" && c.created_by?.id === me.id && html`<button type="button" onClick=${() => remind(c)}>催阅</button>`}
    </div>`)}<//>
    <form onSubmit=${start} class="card">
      <h3>发起传阅</h3>
      <${PersonPicker} label="传阅人员" value=${readers} onChange=${setReaders} error=${action.fields.reader_ids} />
      <${Field} label="方式">${(id) => html`<select id=${id} value=${mode} onChange=${(e) => setMode(e.target.value)}>
        <option value="parallel">同时传阅</option><option value="sequential">依次传阅</option></select>`}<//>
      <button type="submit" disabled=${action.busy}>发起传阅</button>
    </form>
  </section>`;
}

function Files({ doc }) {
  const files = [...(doc.body ? [{ ...doc.body, role: "正文" }] : []), ...doc.attachments.map((f) => ({ ...f, role: "附件" }))];
  if (!files.length) return null;
  return html`<section aria-labelledby="files-title"><h2 id="files-title">正文与附件</h2><ul>
    ${files.map((f) => html`<li key=${f.id}>${f.role}：<a href=${`/v1/files/${f.id}`} download>${f.name || `文件 ${f.id}`}</a></li>`)}
  </ul></section>`;
}

export function DocumentPage({ id, me }) {
  const doc = useLoad(() => get(`/v1/documents/${id}`), [id], ["document.", "approval."]);
  const history = useLoad(() => get(`/v1/documents/${id}/history`), [id], ["document."]);
  const reload = () => { doc.reload(); history.reload(); };
  return html`<${Loading} state=${doc}>${(d) => html`
    <h1>${d.title}</h1>
    <p class="meta">
      <${Badge} tone=${d.overdue ? "red" : ""}>${d.state_label}<//>
      ${d.doc_number && html` <span>${d.doc_number}</span>`}
      <span> · ${d.doc_type_label} · ${d.urgency_label}${d.secrecy !== "none" ? ` · ${d.secrecy_label}` : ""}</span>
      <span> · ${d.direction === "incoming" ? `来文单位 ${d.issuing_unit?.name}` : `拟稿单位 ${d.unit?.name}`}</span>
      ${d.deadline && html`<span class=${d.overdue ? "overdue" : ""}> · 办理时限 ${when(d.deadline)}</span>`}
    </p>
    <${Problem} error=${doc.error} />
    <div class="columns">
      <div>
        <dl class="grid">
          <dt>主送</dt><dd>${d.main_units.map((u) => u.name).join("、") || "—"}</dd>
          <dt>抄送</dt><dd>${d.cc_units.map((u) => u.name).join("、") || "—"}</dd>
          <dt>拟稿人</dt><dd>${d.drafter?.display_name || "—"}</dd>
          <dt>签发人</dt><dd>${d.signed_by?.display_name || d.signer?.display_name || "—"}</dd>
        </dl>
        <${Files} doc=${d} />
        <${Receipt} receipt=${d.receipt} />
      </div>
      <div><${NextStep} doc=${d} me=${me} reload=${reload} />
        ${d.direction === "incoming" && FORWARDABLE.includes(d.state) && html`<${ForwardForm} doc=${d} />`}</div>
    </div>
    <${Circulations} doc=${d} me=${me} />
    <section aria-labelledby="history-title"><h2 id="history-title">办理记录</h2>
      <${Loading} state=${history}>${(h) => html`<${Table} caption="办理记录" head=${["时间", "办理人", "事项"]}
        rows=${h.items.map((e, i) => html`<tr key=${i}><td>${when(e.at)}</td><td>${e.actor?.display_name || "系统"}</td>
          <td>${ACTIONS[e.action] || e.action}</td></tr>`)} />`}<//>
    </section>`}<//>`;
}
