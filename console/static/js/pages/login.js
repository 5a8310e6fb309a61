// 登录: the same accounts as the phones; the session lives in httpOnly cookies.
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { Field, Problem, html, useAction } from "../ui.js";

export function LoginPage({ onLogin }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const session = await action.run(() => post("/v1/auth/browser/login", { username, password }));
    if (session) onLogin();
  };
  return html`<main class="login" id="main">
    <form class="card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">通办 · 登录</h1>
      <p class="muted">办公台与领导驾驶舱</p>
      <${Problem} error=${action.error} />
      <${Field} label="用户名" error=${action.fields.username}>${(id) => html`
        <input id=${id} name="username" autocomplete="username" required autofocus
          value=${username} onInput=${(e) => setUsername(e.target.value)} />`}<//>
      <${Field} label="密码" error=${action.fields.password}>${(id) => html`
        <input id=${id} name="password" type="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.target.value)} />`}<//>
      <button type="submit" class="primary" disabled=${action.busy}>${action.busy ? "正在登录…" : "登录"}</button>
    </form>
  </main>`;
}
