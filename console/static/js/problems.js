// Problems (RFC 9457) in Chinese: the API speaks English with stable slugs; a clerk reads these.
// A slug we do not know still gets a sentence by its status, with the server's words beside it.

const BY_SLUG = {
  "bad-credentials": "用户名或密码错误。",
  "too-many-requests": "尝试次数过多，请稍后再试。",
  "session-ended": "登录已失效，请重新登录。",
  "invalid-token": "登录已失效，请重新登录。",
  "no-browser-session": "尚未登录。",
  "refresh-reuse": "登录凭据被重复使用，为安全起见已退出，请重新登录。",
  "csrf-failed": "页面已过期（安全校验失败），请刷新后重试。",
  "foreign-origin": "请求来源不被允许。",
  "not-found": "找不到该记录，或您无权查看。",
  "forbidden": "您没有执行此操作的权限。",
  "validation-error": "填写的内容有误，请检查标红的项目。",
  "malformed-json": "请求格式有误。",
  "payload-too-large": "文件或内容过大。",
  "unsupported-media-type": "不支持的文件类型。",
  "invalid-cursor": "翻页位置无效，请回到第一页。",
  "conflict": "状态已变化，请刷新后重试。",
  "document-state": "公文当前状态不允许此操作，请刷新后查看。",
  "document-archived": "公文已归档，不能再修改。",
  "document-changed": "公文已被他人修改，请刷新后重试。",
  "content-changed": "正文已变化，请刷新后重试。",
  "not-a-clerk": "只有本单位收发文员可以办理此项。",
  "not-drafter-or-clerk": "只有拟稿人或本单位收发文员可以办理此项。",
  "not-a-recipient": "该公文没有发给您本人。",
  "already-received": "已经签收过了。",
  "already-read": "已经阅过了。",
  "not-a-reader": "您不在本次传阅名单中。",
  "not-your-turn": "还没有轮到您阅文。",
  "circulation-finished": "本次传阅已结束。",
  "not-circulator": "只有发起人可以催阅。",
  "may-not-circulate": "您不能传阅这份公文。",
  "signer-required": "上行文（请示、报告）必须填写签发人。",
  "deadline-required": "加急、特急公文必须填写办理时限。",
  "deadline-in-past": "办理时限已过，请重新选择。",
  "printed-before-written": "印发日期不能早于成文日期。",
  "classified-refused": "涉密公文不得通过本系统办理。",
  "signing-step-required": "审批流程需要有签发环节。",
  "signing-step-last": "签发必须是最后一个环节。",
  "signer-not-on-step": "签发人必须在签发环节中。",
  "series-exists": "该机关代字已存在。",
  "not-signed": "公文尚未签发。",
  "not-a-handler": "您不是承办人。",
  "nothing-changed": "没有任何修改。",
  "empty-audience": "接收范围内没有任何人员，请重新选择。",
  "no-confirmation": "该通知不需要确认。",
  "not-a-meeting": "这不是会议通知。",
  "rsvp-closed": "回执已截止。",
  "checkin-closed": "签到已结束。",
  "wrong-checkin-code": "签到码不正确。",
  "nobody-to-urge": "没有需要提醒的人。",
  "task-state": "督办事项当前状态不允许此操作。",
  "subtasks-open": "还有未办结的子任务。",
  "extension-pending": "已有待审批的延期申请。",
  "username-taken": "用户名已被占用。",
  "bad-idempotency-key": "请求标识无效，请重试。",
};

const BY_STATUS = {
  0: "无法连接服务器，请检查网络。",
  400: "请求有误。",
  401: "登录已失效，请重新登录。",
  403: "您没有执行此操作的权限。",
  404: "找不到该记录，或您无权查看。",
  409: "状态已变化，请刷新后重试。",
  413: "文件或内容过大。",
  415: "不支持的文件类型。",
  422: "填写的内容有误，请检查。",
  429: "操作过于频繁，请稍后再试。",
  500: "服务器出错了，请稍后再试或联系管理员。",
};

// Field names as the forms label them.
export const FIELD_LABELS = {
  username: "用户名", password: "密码", title: "标题", doc_type: "文种", urgency: "紧急程度",
  secrecy: "密级", deadline: "办理时限", signer_id: "签发人", main_units: "主送",
  cc_units: "抄送", written_on: "成文日期", note: "附注", printed_by: "印发机关",
  printed_on: "印发日期", copies: "份数", body_file_id: "正文", attachment_ids: "附件",
  unit_id: "单位", proposal: "拟办意见", leader_ids: "批办领导", reason: "理由",
  reader_ids: "传阅人员", due_at: "期限", result: "办结情况", series_id: "编号序列",
  body: "正文", audience: "接收范围", starts_at: "开始时间", ends_at: "结束时间",
  location: "地点", meeting: "会议信息", chain: "审批流程", lead: "主办", kind: "类型",
  comment: "意见", message: "内容", units: "单位", people: "人员", description: "说明",
  assignees: "承办对象", priority: "优先级",
};

const BY_TYPE = {
  missing: "必填", string_too_short: "不能为空", string_too_long: "内容过长",
  too_short: "至少选择一项", too_long: "选择过多", int_parsing: "请填写数字",
  greater_than_equal: "数值过小", less_than_equal: "数值过大",
  datetime_parsing: "时间格式不正确", datetime_from_date_parsing: "时间格式不正确",
  timezone_aware: "时间须带时区", date_from_datetime_parsing: "日期格式不正确",
  extra_forbidden: "多余的字段", literal_error: "取值无效", enum: "取值无效",
  value_error: "取值无效", list_type: "格式不正确", int_type: "请填写数字",
};

function fieldOf(loc) {
  const names = (loc || []).filter((part) => typeof part === "string" && part !== "body");
  return names[0] || "";
}

export function describeProblem(status, problem = {}) {
  const slug = (problem.type || "").split("/").pop() || "";
  const fields = {};
  for (const error of problem.errors || []) {
    const name = fieldOf(error.loc);
    const reason = BY_TYPE[error.type] || BY_SLUG[error.type] || error.msg || "取值无效";
    fields[name] = fields[name] ? `${fields[name]}；${reason}` : reason;
  }
  let message = BY_SLUG[slug] || BY_STATUS[status] || `操作失败（${status}）。`;
  const named = Object.keys(fields).filter(Boolean).map((n) => `${FIELD_LABELS[n] || n}：${fields[n]}`);
  if (named.length) message = `${message}${named.join("；")}`;
  return { slug, fields, message, detail: problem.detail || "" };
}
