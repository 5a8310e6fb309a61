// Shared pieces of every page: html`` templates, formatting, form fields with labels and
// errors, notices of success and failure (read out by screen readers), pickers of people and
// units, and a hook that reloads data when the event feed says something changed.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { ApiProblem, get } from "./api.js";
import { onEvent } from "./feed.js";

export const html = htm.bind(h);

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});
export function when(value) { return value ? TIME.format(new Date(value)) : "—"; }
export function percent(rate) { return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`; }

// A datetime-local value (Beijing time, as clerks think) to an ISO instant with offset.
export function fromLocal(value) { return value ? new Date(`${value}:00+08:00`).toISOString() : null; }
export function localIn(hours) {
  const moment = new Date(Date.now() + hours * 3600e3 + 8 * 3600e3);
  return moment.toISOString().slice(0, 16);
}

export function go(path) { location.hash = `#${path}`; }

// Load data, reload on demand and when an event of one of `kinds` (prefixes) arrives.
export function useLoad(loader, deps, kinds = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const data = await loader();
      if (ticket === latest.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (ticket === latest.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => { setState({ data: null, error: null, loading: true }); load(); }, [load]);
  useEffect(() => {
    if (!kinds.length) return undefined;
    let timer = null;
    const off = onEvent((event) => {
      if (!kinds.some((kind) => event.kind.startsWith(kind))) return;
      clearTimeout(timer);
      timer = setTimeout(load, 150); // a burst of events costs one reload
    });
    return () => { off(); clearTimeout(timer); };
  }, [load]);
  return { ...state, reload: load };
}

export function Loading({ state, children }) {
  if (state.error && !state.data) return html`<${Problem} error=${state.error} />`;
  if (!state.data) return html`<p class="muted" role="status">正在加载…</p>`;
  return children(state.data);
}

export function Problem({ error }) {
  if (!error) return null;
  const text = error instanceof ApiProblem ? error.message : `出错了：${error}`;
  return html`<div class="alert error" role="alert">${text}</div>`;
}

export function Done({ text }) {
  return text ? html`<div class="alert ok" role="status">${text}</div>` : null;
}

// Run an action from a form or button: busy while it runs, then a message either way.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const run = async (action, success) => {
    setBusy(true); setError(null); setDone("");
    try {
      const result = await action();
      setDone(success || "");
      return result;
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, fields: error?.fields || {} };
}

let fieldIds = 0;
export function Field({ label, error, hint, children, id }) {
  const ref = useRef(id || `f${++fieldIds}`);
  const fieldId = ref.current;
  const child = typeof children === "function" ? children(fieldId) : children;
  return html`<div class=${`field${error ? " invalid" : ""}`}>
    <label for=${fieldId}>${label}</label>
    ${child}
    ${hint && html`<small class="hint">${hint}</small>`}
    ${error && html`<small class="field-error" role="alert">${error}</small>`}
  </div>`;
}

export function Badge({ tone = "", children }) {
  return html`<span class=${`badge ${tone}`}>${children}</span>`;
}

export const LIGHTS = { red: "超期", yellow: "临期", green: "正常" };
export function Light({ light }) {
  if (!light) return html`<span class="muted">—</span>`;
  return html`<span class=${`light ${light}`}><span class="dot" aria-hidden="true"></span>${LIGHTS[light]}</span>`;
}

// Pick people by name (Chinese substring search over /v1/org/people).
export function PersonPicker({ label, value, onChange, error, single = false }) {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState([]);
  const listId = useRef(`people${++fieldIds}`).current;
  useEffect(() => {
    if (!query.trim()) { setFound([]); return undefined; }
    const timer = setTimeout(async () => {
      try { setFound((await get("/v1/org/people", { q: query.trim(), limit: 10 })).items); } catch { setFound([]); }
    }, 200);
    return () => clearTimeout(timer);
  }, [query]);
  const add = (person) => {
    const unit = person.positions?.[0]?.unit_name || "";
    const entry = { id: person.id, name: person.display_name, unit };
    onChange(single ? [entry] : [...value.filter((p) => p.id !== person.id), entry]);
    setQuery(""); setFound([]);
  };
  return html`<${Field} label=${label} error=${error} hint="输入姓名查找，回车或点击选中">${(id) => html`
    <div class="picker">
      <ul class="chips" aria-label=${`已选${label}`}>
        ${value.map((p) => html`<li key=${p.id}>${p.name}${p.unit && html`<small>（${p.unit}）</small>`}
          <button type="button" class="link" aria-label=${`移除 ${p.name}`}
            onClick=${() => onChange(value.filter((x) => x.id !== p.id))}>×</button></li>`)}
      </ul>
      <input id=${id} type="search" value=${query} autocomplete="off" placeholder="姓名"
        aria-controls=${listId} onInput=${(e) => setQuery(e.target.value)}
        onKeyDown=${(e) => { if (e.key === "Enter") { e.preventDefault(); if (found[0]) add(found[0]); } }} />
      <ul id=${listId} class="options" role="listbox" aria-label=${`${label}候选`}>
        ${found.map((p) => html`<li key=${p.id} role="option" aria-selected="false">
          <button type="button" onClick=${() => add(p)}>${p.display_name}
            <small>${p.positions.map((x) => x.unit_name + (x.title ? ` ${x.title}` : "")).join("、")}</small></button></li>`)}
      </ul>
    </div>`}<//>`;
}

// Pick units from the org tree, opened level by level from the roots of one's own units.
export function UnitPicker({ label, value, onChange, error, roots }) {
  const [open, setOpen] = useState({});
  const [children, setChildren] = useState({});
  const toggle = async (unit) => {
    if (!children[unit.id]) {
      const found = await get(`/v1/org/units/${unit.id}`);
      setChildren((c) => ({ ...c, [unit.id]: found.children }));
    }
    setOpen((o) => ({ ...o, [unit.id]: !o[unit.id] }));
  };
  const chosen = (unit) => value.some((u) => u.id === unit.id);
  const pick = (unit, on) => onChange(on ? [...value, { id: unit.id, name: unit.name }] : value.filter((u) => u.id !== unit.id));
  const node = (unit) => html`<li key=${unit.id}>
    <button type="button" class="twisty" aria-expanded=${!!open[unit.id]}
      aria-label=${`${open[unit.id] ? "收起" : "展开"} ${unit.name}`} onClick=${() => toggle(unit)}>${open[unit.id] ? "▾" : "▸"}</button>
    <label><input type="checkbox" checked=${chosen(unit)} onChange=${(e) => pick(unit, e.target.checked)} /> ${unit.name}</label>
    ${open[unit.id] && children[unit.id] && html`<ul>${children[unit.id].map(node)}</ul>`}
  </li>`;
  return html`<fieldset class=${`field tree${error ? " invalid" : ""}`}>
    <legend>${label}</legend>
    <ul class="tree-root">${roots.map(node)}</ul>
    ${value.length > 0 && html`<p class="muted">已选：${value.map((u) => u.name).join("、")}</p>`}
    ${error && html`<small class="field-error" role="alert">${error}</small>`}
  </fieldset>`;
}

// The roots of the org tree as this person sees it: the top of each of their units' trees.
export async function orgRoots(me) {
  const tops = new Map();
  for (const unit of me.units) {
    const full = await get(`/v1/org/units/${unit.id}`);
    const top = full.ancestors[0] || { id: full.id, name: full.name };
    tops.set(top.id, top);
  }
  return [...tops.values()];
}

export function Table({ caption, head, rows, empty = "暂无记录" }) {
  return html`<div class="table-wrap"><table>
    <caption>${caption}</caption>
    <thead><tr>${head.map((cell) => html`<th scope="col">${cell}</th>`)}</tr></thead>
    <tbody>${rows.length ? rows : html`<tr><td colspan=${head.length} class="muted">${empty}</td></tr>`}</tbody>
  </table></div>`;
}
