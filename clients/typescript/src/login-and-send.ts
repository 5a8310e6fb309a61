// Log in and send a message through the client generated from Tongban's OpenAPI document.
//
//   npm run generate            # src/schema.d.ts from a running server's /v1/openapi.json
//   npm run build && TONGBAN_URL=… TONGBAN_USERNAME=… TONGBAN_PASSWORD=… \
//     TONGBAN_CONVERSATION=… node build/login-and-send.js "你好"
//
// Every path, body and reply below is typed from the document: a renamed field or a wrong
// type is a compile error, not a runtime surprise.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Message = components["schemas"]["MessagePublic"];

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

async function main(): Promise<void> {
  const client = createClient<paths>({ baseUrl: setting("TONGBAN_URL") });
  const login = await client.POST("/v1/auth/login", {
    body: { username: setting("TONGBAN_USERNAME"), password: setting("TONGBAN_PASSWORD") },
  });
  if (!login.data) throw new Error(`login failed: ${JSON.stringify(login.error)}`);
  const auth = { Authorization: `Bearer ${login.data.access_token}` };

  const sent = await client.POST("/v1/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: Number(setting("TONGBAN_CONVERSATION")) } },
    headers: auth,
    body: { client_msg_id: `ts-${Date.now()}`, body: process.argv[2] ?? "你好" },
  });
  if (!sent.data) throw new Error(`send failed: ${JSON.stringify(sent.error)}`);
  const message: Message = sent.data;
  console.log(JSON.stringify({ user: login.data.user.display_name, id: message.id,
                               seq: message.seq, body: message.body }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
