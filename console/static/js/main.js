// The console's shell: who is signed in, the navigation, the hash router and the live feed.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get, post, whenSignedOut } from "./api.js";
import { onStatus, startFeed, stopFeed } from "./feed.js";
import { html } from "./ui.js";
import { LoginPage } from "./pages/login.js";
import { DeskPage } from "./pages/desk.js";
import { DocumentPage } from "./pages/document.js";
import { DraftPage } from "./pages/draft.js";
import { RegistersPage } from "./pages/registers.js";
import { CockpitPage } from "./pages/cockpit.js";
import { NoticesPage, ComposePage, NoticePage } from "./pages/notices.js";
import { MeetingBoard } from "./pages/meeting.js";

const NAV = [
  ["/desk", "办公台"], ["/draft", "拟稿发文"], ["/registers/incoming", "登记簿"],
  ["/notices", "通知会议"], ["/cockpit", "领导驾驶舱"],
];

// Routes: pattern → page; `:id` parts become numbers.
const ROUTES = [
  ["/desk", DeskPage], ["/documents/:id", DocumentPage], ["/draft", DraftPage],
  ["/draft/:id", DraftPage], ["/registers/:kind", RegistersPage], ["/cockpit", CockpitPage],
  ["/cockpit/:id", CockpitPage], ["/notices", NoticesPage], ["/notices/new", ComposePage],
  ["/notices/:id", NoticePage], ["/meetings/:id", MeetingBoard],
];

function match(path) {
  for (const [pattern, page] of ROUTES) {
    const names = [];
    const source = pattern.replace(/:(\w+)/g, (_, name) => { names.push(name); return "([^/]+)"; });
    const found = new RegExp(`^${source}$`).exec(path);
    if (found) {
      const params = Object.fromEntries(names.map((n, i) => [n, /^\d+$/.test(found[i + 1]) ? Number(found[i + 1]) : found[i + 1]]));
      return { page, params };
    }
  }
  return null;
}

function useHashPath() {
  const read = () => (location.hash.slice(1).split("?")[0] || "/desk");
  const [path, setPath] = useState(read());
  useEffect(() => {
    const changed = () => setPath(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return path;
}

function LiveStatus() {
  const [status, setStatus] = useState("offline");
  useEffect(() => onStatus(setStatus), []);
  const words = { live: "实时连接", connecting: "正在连接", reconnecting: "重新连接中", offline: "未连接" };
  return html`<span class=${`live ${status}`} role="status" aria-live="polite" data-status=${status}>
    <span class="dot" aria-hidden="true"></span>${words[status]}</span>`;
}

function Shell({ me, onLogout }) {
  const path = useHashPath();
  const found = match(path);
  const main = useRef(null);
  useEffect(() => {
    // After navigating, put the keyboard where the new page starts.
    const heading = main.current?.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }, [path]);
  const Page = found?.page;
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); main.current?.focus(); }}>跳到正文</a>
    <header class="top">
      <span class="brand">通办 · 工作台</span>
      <nav aria-label="主导航"><ul>
        ${NAV.map(([href, label]) => html`<li><a href=${`#${href}`}
          aria-current=${path.startsWith(href.split("/").slice(0, 2).join("/")) ? "page" : undefined}>${label}</a></li>`)}
      </ul></nav>
      <div class="who">
        <${LiveStatus} />
        <span>${me.display_name}${me.units[0] ? `（${me.units.map((u) => u.name).join("、")}）` : ""}</span>
        <button type="button" class="link" onClick=${onLogout}>退出</button>
      </div>
    </header>
    <main id="main" ref=${main} tabindex="-1">
      ${Page ? html`<${Page} key=${path} me=${me} ...${found.params} />`
             : html`<h1>页面不存在</h1><p><a href="#/desk">回到办公台</a></p>`}
    </main>
  </div>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const boot = async () => {
    try {
      // The feed position first, then the data: nothing committed in between is missed.
      const health = await api("GET", "/v1/health");
      const person = await get("/v1/me");
      startFeed(health.feed_cursor || 0);
      setMe(person);
    } catch {
      setMe(null);
    }
  };
  useEffect(() => { whenSignedOut(() => { stopFeed(); setMe(null); }); boot(); }, []);
  const logout = async () => {
    try { await post("/v1/auth/browser/logout"); } finally { stopFeed(); setMe(null); }
  };
  if (me === undefined) return html`<p class="muted" role="status">正在加载…</p>`;
  if (me === null) return html`<${LoginPage} onLogin=${boot} />`;
  return html`<${Shell} me=${me} onLogout=${logout} />`;
}

render(html`<${App} />`, document.getElementById("app"));
