// 会议看板 (the live meeting board), for the organiser: per unit, how many were asked, answered
// attending, confirmed and have checked in, updating as phones answer and check in (the
// `notice.rsvp`, `notice.checked_in` and `notice.confirmed` events); and the rotating check-in
// code (签到码) large enough to put on the room's screen.
import { useEffect, useState } from "preact/hooks";
import { get } from "../api.js";
import { Loading, Problem, html, useLoad, when } from "../ui.js";
import { UnitCounts } from "./notices.js";

const COLUMNS = [["attending", "参会"], ["declined", "请假"], ["substituted", "替会"],
  ["unanswered", "未回复"], ["checked_in", "已签到"], ["late", "迟到"], ["absent", "缺席"]];

function CheckinCode({ id }) {
  const [code, setCode] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let timer = null;
    const load = async () => {
      try {
        const found = await get(`/v1/notices/${id}/checkin-code`);
        setCode(found); setError(null);
        timer = setTimeout(load, Math.max(1, found.expires_in) * 1000);
      } catch (failure) { setError(failure); }
    };
    load();
    return () => clearTimeout(timer);
  }, [id]);
  if (error) return html`<${Problem} error=${error} />`;
  if (!code) return null;
  return html`<section class="checkin" aria-labelledby="code-title"><h2 id="code-title">签到码</h2>
    <p class="code" aria-live="polite">${code.window_open ? code.code : "——"}</p>
    <p class="muted">${code.window_open ? `每 ${code.step_seconds} 秒更新` : `签到 ${when(code.opens_at)} 开放`}</p></section>`;
}

export function MeetingBoard({ id }) {
  const notice = useLoad(() => get(`/v1/notices/${id}`), [id]);
  const stats = useLoad(() => get(`/v1/notices/${id}/stats`), [id],
    ["notice.rsvp", "notice.checked_in", "notice.confirmed", "notice.unit_reply", "notice.corrected",
      "notice.cancelled"]);
  const columns = notice.data?.requires_confirmation ? [["confirmed", "已确认"], ...COLUMNS] : COLUMNS;
  return html`<${Loading} state=${notice}>${(n) => html`
    <h1>会议看板 · ${n.title}</h1>
    <p class="meta">${when(n.meeting?.starts_at)} — ${when(n.meeting?.ends_at)} · ${n.meeting?.location || n.meeting?.online_url || ""}</p>
    <div class="columns board">
      <${Loading} state=${stats}>${(s) => html`<section aria-labelledby="board-title">
        <h2 id="board-title">各单位到会情况（实时）</h2>
        <ul class="kpis" aria-live="polite">
          <li data-kpi="应到"><span class="value">${s.totals.expected ?? s.totals.total}</span><span>应到</span></li>
          ${columns.slice(0, 6).map(([k, l]) => html`<li data-kpi=${l}><span class="value">${s.totals[k] ?? 0}</span><span>${l}</span></li>`)}
        </ul>
        <${UnitCounts} stats=${s} columns=${columns} />
      </section>`}<//>
      <${CheckinCode} id=${id} />
    </div>`}<//>`;
}
