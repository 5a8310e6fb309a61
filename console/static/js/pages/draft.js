// 拟稿 (drafting an outgoing document): the GB/T 9704 elements, the body and attachments as
// uploads, 主送/抄送 from the org tree. Saving makes a draft (or a new version of one); the
// document page then routes it for sign-off.
import { useState } from "preact/hooks";
import { get, idempotencyKey, patch, post, upload } from "../api.js";
import {
  Field, Loading, PersonPicker, Problem, UnitPicker, fromLocal, go, html, orgRoots, useAction,
  useLoad,
} from "../ui.js";

const TYPES = [["notice", "通知"], ["request", "请示"], ["report", "报告"], ["letter", "函"],
  ["opinion", "意见"], ["decision", "决定"], ["bulletin", "通报"], ["reply", "批复"],
  ["minutes", "纪要"], ["announcement", "公告"], ["public_notice", "通告"], ["resolution", "决议"],
  ["order", "命令(令)"], ["communique", "公报"], ["motion", "议案"]];

function toLocal(iso) {
  return iso ? new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 16) : "";
}

function DraftForm({ me, roots, existing }) {
  const [form, setForm] = useState({
    unit_id: existing?.unit?.id || me.units[0]?.id, doc_type: existing?.doc_type || "notice",
    title: existing?.title || "", urgency: existing?.urgency || "normal",
    secrecy: existing?.secrecy || "none", deadline: toLocal(existing?.deadline), note: existing?.note || "",
  });
  const [signer, setSigner] = useState(existing?.signer ? [{ id: existing.signer.id, name: existing.signer.display_name }] : []);
  const [main, setMain] = useState(existing?.main_units || []);
  const [cc, setCc] = useState(existing?.cc_units || []);
  const [body, setBody] = useState(null);
  const [attachments, setAttachments] = useState([]);
  const action = useAction();
  const set = (name) => (event) => setForm({ ...form, [name]: event.target.value });
  const save = async (event) => {
    event.preventDefault();
    const saved = await action.run(async () => {
      const elements = {
        doc_type: form.doc_type, title: form.title, urgency: form.urgency, secrecy: form.secrecy,
        deadline: fromLocal(form.deadline), note: form.note, signer_id: signer[0]?.id ?? null,
        main_units: main.map((u) => u.id), cc_units: cc.map((u) => u.id),
      };
      if (body) elements.body_file_id = (await upload(body)).id;
      if (attachments.length) {
        elements.attachment_ids = [];
        for (const file of attachments) elements.attachment_ids.push((await upload(file)).id);
      }
      if (existing) return patch(`/v1/documents/${existing.id}`, elements);
      return post("/v1/documents", { ...elements, unit_id: Number(form.unit_id) },
        { headers: { "Idempotency-Key": idempotencyKey() } });
    }, "已保存");
    if (saved) go(`/documents/${saved.id}`);
  };
  const f = action.fields;
  return html`<form onSubmit=${save} class="form-grid" aria-label="公文稿件">
    <${Problem} error=${action.error} />
    ${!existing && html`<${Field} label="发文单位" error=${f.unit_id}>${(id) => html`
      <select id=${id} value=${form.unit_id} onChange=${set("unit_id")}>
        ${me.units.map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select>`}<//>`}
    <${Field} label="文种" error=${f.doc_type}>${(id) => html`
      <select id=${id} value=${form.doc_type} onChange=${set("doc_type")}>
        ${TYPES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`}<//>
    <${Field} label="标题" error=${f.title}>${(id) => html`
      <input id=${id} required maxlength="200" value=${form.title} onInput=${set("title")} placeholder="关于……的通知" />`}<//>
    <${Field} label="紧急程度" error=${f.urgency}>${(id) => html`
      <select id=${id} value=${form.urgency} onChange=${set("urgency")}>
        <option value="normal">平件</option><option value="urgent">加急</option><option value="critical">特急</option></select>`}<//>
    <${Field} label="密级" error=${f.secrecy} hint="涉密公文不得通过本系统办理">${(id) => html`
      <select id=${id} value=${form.secrecy} onChange=${set("secrecy")}>
        <option value="none">无</option><option value="internal">内部</option></select>`}<//>
    <${Field} label="办理时限（加急、特急必填）" error=${f.deadline}>${(id) => html`
      <input id=${id} type="datetime-local" value=${form.deadline} onInput=${set("deadline")} />`}<//>
    <${PersonPicker} label="签发人" value=${signer} onChange=${setSigner} single=${true} error=${f.signer_id} />
    <${UnitPicker} label="主送单位" roots=${roots} value=${main} onChange=${setMain} error=${f.main_units} />
    <${UnitPicker} label="抄送单位" roots=${roots} value=${cc} onChange=${setCc} error=${f.cc_units} />
    <${Field} label="正文文件" error=${f.body_file_id} hint=${existing?.body ? `当前：${existing.body.name}；重新选择将替换` : "Word、PDF 或 OFD 文件"}>${(id) => html`
      <input id=${id} type="file" onChange=${(e) => setBody(e.target.files[0] || null)} />`}<//>
    <${Field} label="附件" error=${f.attachment_ids} hint="可多选">${(id) => html`
      <input id=${id} type="file" multiple onChange=${(e) => setAttachments([...e.target.files])} />`}<//>
    <${Field} label="附注" error=${f.note}>${(id) => html`<textarea id=${id} rows="2" value=${form.note} onInput=${set("note")} />`}<//>
    <div class="buttons"><button type="submit" class="primary" disabled=${action.busy}>${action.busy ? "正在保存…" : "保存稿件"}</button></div>
  </form>`;
}

export function DraftPage({ me, id }) {
  const roots = useLoad(() => orgRoots(me), [me.id]);
  const existing = useLoad(() => (id ? get(`/v1/documents/${id}`) : Promise.resolve(null)), [id]);
  return html`<h1>${id ? "修改稿件" : "拟稿发文"}</h1>
    <${Loading} state=${roots}>${(r) => (existing.loading ? null
      : html`<${DraftForm} me=${me} roots=${r} existing=${existing.data} />`)}<//>`;
}
