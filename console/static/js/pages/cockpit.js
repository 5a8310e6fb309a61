// 领导驾驶舱 (the supervisor's cockpit) for one unit's subtree: tasks by light (green/yellow/red)
// and by sub-unit, overdue and due-soon lists, completion rates per sub-unit by month, and
// drill-down from province to 网格 by clicking a sub-unit (in the table or on a bar).
// Figures are per unit only: no official is ranked here. The page follows `task.*` events and
// looks again every minute, since lights also change with nothing but the clock.
import { useEffect, useRef } from "preact/hooks";
import { get } from "../api.js";
import { Light, Loading, Table, go, html, percent, useLoad, when } from "../ui.js";

const COLORS = { green: "#2e7d32", yellow: "#f9a825", red: "#c62828" };
const OVERSIGHT = ["leader", "unit_admin"];

function oversightUnits(me) {
  return me.positions.filter((p) => p.roles.some((r) => OVERSIGHT.includes(r))).map((p) => p.unit_id);
}

let echartsModule = null;
async function echarts() {
  echartsModule ??= import("echarts"); // loaded only where a chart is drawn
  return echartsModule;
}

function Chart({ option, label, onClick }) {
  const box = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    let resize = null;
    let disposed = false;
    echarts().then((lib) => {
      if (disposed || !box.current) return;
      chart.current = lib.init(box.current, null, { locale: "ZH", renderer: "canvas" });
      chart.current.setOption(option);
      if (onClick) chart.current.on("click", onClick);
      resize = () => chart.current?.resize();
      addEventListener("resize", resize);
      const drawn = box.current;
      requestAnimationFrame(() => { drawn.dataset.ready = "true"; }); // the first frame is on screen
    });
    return () => { disposed = true; removeEventListener("resize", resize); chart.current?.dispose(); chart.current = null; };
  }, []);
  useEffect(() => { chart.current?.setOption(option, { notMerge: true }); }, [option]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${label}></div>`;
}

function green(row) { return Math.max(0, row.open - row.due_soon); }

function lightsOption(stats) {
  const names = stats.children.map((c) => c.unit.name);
  const series = [["green", "正常", green], ["yellow", "临期", (r) => r.due_soon], ["red", "超期", (r) => r.overdue]]
    .map(([key, name, pick]) => ({ name, type: "bar", stack: "lights", itemStyle: { color: COLORS[key] },
      data: stats.children.map(pick), emphasis: { focus: "series" } }));
  return {
    aria: { enabled: true }, animationDuration: 300, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 64 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", name: "件", minInterval: 1 }, series,
  };
}

function trendOption(trend) {
  const lines = [{ name: "合计", data: trend.total }, ...trend.children.slice(0, 12).map((c) => ({ name: c.unit.name, data: c.points }))];
  return {
    aria: { enabled: true }, animationDuration: 300, tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
    legend: { type: "scroll", bottom: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 56 },
    xAxis: { type: "category", data: trend.months },
    yAxis: { type: "value", name: "完成率 %", min: 0, max: 100 },
    series: lines.map((line, i) => ({ name: line.name, type: "line", connectNulls: false,
      lineStyle: { width: i === 0 ? 3 : 1.5 },
      data: line.data.map((p) => (p.completion_rate === null ? null : Math.round(p.completion_rate * 1000) / 10)) })),
  };
}

function Kpis({ total }) {
  const items = [["督办事项", total.assigned], ["已办结", total.done_on_time + total.done_late],
    ["完成率", percent(total.completion_rate)], ["超期", total.overdue, "red"],
    ["临期", total.due_soon, "yellow"], ["正常", green(total), "green"]];
  return html`<ul class="kpis" aria-label="总体情况">${items.map(([label, value, tone]) => html`
    <li class=${tone || ""} data-kpi=${label}><span class="value">${value}</span><span>${label}</span></li>`)}</ul>`;
}

function UnitRows({ stats }) {
  return stats.children.map((c) => html`<tr key=${c.unit.id}>
    <th scope="row"><a href=${`#/cockpit/${c.unit.id}`}>${c.unit.name}</a></th>
    <td>${c.assigned}</td><td>${c.done_on_time + c.done_late}</td><td>${percent(c.completion_rate)}</td>
    <td class="red">${c.overdue}</td><td class="yellow">${c.due_soon}</td><td class="green">${green(c)}</td>
  </tr>`);
}

function TaskList({ unitId, light, caption }) {
  const list = useLoad(() => get("/v1/tasks", { unit: unitId, light, limit: 10 }), [unitId, light], ["task."]);
  return html`<${Loading} state=${list}>${(data) => html`<${Table} caption=${caption}
    head=${["督办事项", "责任单位", "期限", "进度", "状态"]}
    rows=${data.items.map((t) => html`<tr key=${t.id} data-task=${t.id}><td>${t.title}</td><td>${t.unit.name}</td>
      <td>${when(t.due_at)}</td><td>${t.percent ?? 0}%</td><td><${Light} light=${t.light} /></td></tr>`)}
    empty=${light === "red" ? "没有超期事项" : "没有临期事项"} />`}<//>`;
}

// The meetings I organise that have not ended: each opens its live board.
function Meetings() {
  const sent = useLoad(() => get("/v1/notices", { box: "sent", limit: 50 }), [], ["notice."]);
  const now = Date.now();
  const live = (sent.data?.items || []).filter((n) => n.kind === "meeting" && n.state === "published"
    && n.meeting && new Date(n.meeting.ends_at).getTime() > now);
  if (!live.length) return null;
  return html`<section aria-labelledby="meetings-title"><h2 id="meetings-title">会议看板</h2>
    <ul>${live.map((n) => html`<li key=${n.id}><a href=${`#/meetings/${n.id}`}>${n.title}</a>
      <span class="muted">（${when(n.meeting.starts_at)}，${n.meeting.location || "线上"}）</span></li>`)}</ul>
  </section>`;
}

function Crumbs({ unit, me }) {
  const mine = oversightUnits(me);
  const trail = [...unit.ancestors, { id: unit.id, name: unit.name }];
  const start = me.is_admin ? 0 : Math.max(0, trail.findIndex((u) => mine.includes(u.id)));
  if (trail.length - start < 2) return null; // at the top of one's own tree: nothing to climb
  return html`<nav class="crumbs" aria-label="层级"><ol>
    ${trail.slice(start).map((u, i, all) => html`<li key=${u.id}>
      ${i === all.length - 1 ? html`<span aria-current="page">${u.name}</span>` : html`<a href=${`#/cockpit/${u.id}`}>${u.name}</a>`}</li>`)}
  </ol></nav>`;
}

function Cockpit({ unitId, me }) {
  const unit = useLoad(() => get(`/v1/org/units/${unitId}`), [unitId]);
  const stats = useLoad(() => get("/v1/tasks/stats", { unit: unitId }), [unitId], ["task."]);
  const trend = useLoad(() => get("/v1/tasks/trend", { unit: unitId, months: 6 }), [unitId], ["task."]);
  useEffect(() => {
    const timer = setInterval(() => { stats.reload(); trend.reload(); }, 60000);
    return () => clearInterval(timer);
  }, [stats.reload, trend.reload]);
  useEffect(() => { echarts(); }, []); // fetch the library while the figures load
  const drill = (params) => {
    const child = stats.data?.children[params.dataIndex];
    if (child) go(`/cockpit/${child.unit.id}`);
  };
  return html`<${Loading} state=${stats}>${(s) => html`
    <h1>领导驾驶舱 · ${s.unit.name}</h1>
    ${unit.data && html`<${Crumbs} unit=${unit.data} me=${me} />`}
    <p class="muted">截至 ${when(s.as_of)}；临期指 ${s.yellow_days} 天内到期。只按单位统计，不对个人排名。</p>
    <${Kpis} total=${s.total} />
    <div class="columns">
      <section aria-labelledby="lights-title"><h2 id="lights-title">各单位红黄绿灯</h2>
        ${s.children.length ? html`<${Chart} option=${lightsOption(s)} label="各下级单位督办事项红黄绿灯柱状图，点击进入该单位" onClick=${drill} />`
          : html`<p class="muted">没有下级单位。</p>`}</section>
      <section aria-labelledby="trend-title"><h2 id="trend-title">完成率走势（按到期月份）</h2>
        <${Loading} state=${trend}>${(t) => html`<${Chart} option=${trendOption(t)} label="各下级单位逐月完成率折线图" />`}<//></section>
    </div>
    <section aria-labelledby="units-title"><h2 id="units-title">下级单位</h2>
      <${Table} caption="各下级单位督办统计" head=${["单位", "督办", "办结", "完成率", "超期", "临期", "正常"]}
        rows=${UnitRows({ stats: s })} empty="没有下级单位" /></section>`}<//>
    ${!stats.error && html`<div class="columns">
      <section aria-labelledby="red-title"><h2 id="red-title">超期事项</h2><${TaskList} unitId=${unitId} light="red" caption="超期事项" /></section>
      <section aria-labelledby="yellow-title"><h2 id="yellow-title">临期事项</h2><${TaskList} unitId=${unitId} light="yellow" caption="临期事项" /></section>
    </div>`}
    <${Meetings} />`;
}

export function CockpitPage({ me, id }) {
  const unitId = id || oversightUnits(me)[0] || me.units[0]?.id;
  if (!unitId) return html`<h1>领导驾驶舱</h1><p>您没有可查看的单位。</p>`;
  return html`<${Cockpit} unitId=${unitId} me=${me} key=${unitId} />`;
}
