// Hookwire customer portal: plain JavaScript, no framework, no network beyond this origin's JSON API.
// Every piece of user data is inserted as text (Node.textContent / Text nodes), never parsed as HTML.
"use strict";

const SESSION_KEY = "hookwire.portal.session";
const COLOR = /^#[0-9a-fA-F]{6}$/;
const PAGE_SIZE = 20;
const GRACE_CHOICES = [
  [0, "None: the old secret stops working now"],
  [3600, "1 hour"],
  [86400, "24 hours"],
  [604800, "7 days"],
];

let session = null; // {token, expires_at, read_only, tenant_name, branding}
let memorySession = null; // used when sessionStorage is blocked (some embedded third-party contexts)
let catalogue = null; // cached GET /event-types items

// --- small DOM helpers ------------------------------------------------------------------------
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "value") el.value = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...nodes(children));
  return el;
}

// Nodes stay nodes; every other value (user data included) becomes a Text node, never markup.
function nodes(children) {
  return children
    .flat(Infinity)
    .filter((child) => child !== null && child !== undefined && child !== false && child !== "")
    .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
}

function fill(el, ...children) {
  el.replaceChildren(...nodes(children));
}

const main = () => document.getElementById("main");

function show(...content) {
  fill(main(), content);
  const heading = main().querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function loading(text = "Loading…") {
  return h("p", { class: "muted", role: "status" }, text);
}

function errorBox(error, retry) {
  return h(
    "div",
    { class: "alert", role: "alert" },
    h("p", {}, error.message || String(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}

function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function pretty(text) {
  if (text === null || text === undefined || text === "") return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function headersText(headers) {
  return Object.entries(headers || {})
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
}

function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h("div", {}, h("label", { for: id }, label, hint ? h("span", { class: "hint" }, ` ${hint}`) : null), control);
}

function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy the text";
    }
  });
  return button;
}

// What a create or rotate answer shows: an HMAC secret once, or an Ed25519 hook's public key.
function keyPanel(hook, secretTitle, publicKeyTitle) {
  return hook.public_key
    ? shownValuePanel(publicKeyTitle, "Receivers verify this webhook's signatures (v1a, Ed25519) with this public key. It is not a secret: the webhook's page shows it again.", hook.public_key, "public-key", "Copy public key")
    : secretPanel(hook.secret, secretTitle);
}

function secretPanel(secret, title) {
  return shownValuePanel(title, "This is the only time the signing secret is shown. Store it where your receiver can read it.", secret, "secret", "Copy secret");
}

function shownValuePanel(title, note, value, testId, copyLabel) {
  return h(
    "div",
    { class: "success", role: "status" },
    h("h2", {}, title),
    h("p", {}, note),
    h("div", { class: "secret" }, h("code", { "data-testid": testId }, value), copyButton(value, copyLabel)),
  );
}

function openDialog(title, body, confirmLabel, onConfirm, danger = false) {
  const status = h("div", { "aria-live": "polite" });
  const confirm = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirmLabel);
  const dialog = h(
    "dialog",
    { "aria-label": title },
    h(
      "form",
      { class: "stack", method: "dialog" },
      h("h2", {}, title),
      body,
      status,
      h("div", { class: "actions" }, confirm, h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")),
    ),
  );
  dialog.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const keepOpen = await onConfirm(status);
      if (!keepOpen) dialog.close();
    } catch (error) {
      fill(status, errorBox(error));
    } finally {
      confirm.disabled = false;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// --- session and API ----------------------------------------------------------------------------
function store(value) {
  memorySession = value;
  try {
    if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    /* storage blocked: the in-memory copy lasts until the page closes */
  }
}

function restore() {
  try {
    const text = sessionStorage.getItem(SESSION_KEY);
    return text ? JSON.parse(text) : memorySession;
  } catch {
    return memorySession;
  }
}

class ApiError extends Error {
  constructor(message, status, fieldName) {
    super(message);
    this.status = status;
    this.field = fieldName;
  }
}

async function request(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("Could not reach the server. Check your connection and try again.", 0);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    throw new ApiError((data && data.message) || `Request failed (${response.status})`, response.status, data && data.field);
  }
  return data;
}

async function api(method, path, body) {
  try {
    return await request(method, path, body, session && session.token);
  } catch (error) {
    if (error.status === 401) {
      endSession("Your session has ended", "The portal session expired or was revoked. Open a new portal link to continue.");
      return new Promise(() => {}); // the page now says why; the view that asked must not draw over it
    }
    throw error;
  }
}

function applyBranding(branding) {
  const name = (branding && branding.product_name) || "Webhooks";
  document.title = name;
  document.getElementById("product").textContent = name;
  const logo = document.getElementById("logo");
  if (branding && branding.logo_url && /^https:\/\//.test(branding.logo_url)) {
    logo.src = branding.logo_url;
    logo.alt = "";
    logo.hidden = false;
  } else {
    logo.hidden = true;
  }
  if (branding && COLOR.test(branding.accent_color || "")) {
    document.documentElement.style.setProperty("--accent", branding.accent_color);
  }
}

function endSession(title, message) {
  session = null;
  catalogue = null;
  store(null);
  document.getElementById("nav").hidden = true;
  fill(document.getElementById("account"));
  show(h("section", { class: "notice panel", role: "alert" }, h("h1", {}, title), h("p", {}, message)));
}

function renderAccount() {
  const account = document.getElementById("account");
  fill(account, 
    h("span", { "data-testid": "tenant-name" }, session.tenant_name),
    session.read_only ? h("span", { class: "badge" }, "Read-only") : null,
    h(
      "button",
      {
        type: "button",
        onclick: () => endSession("Signed out", "You are signed out. Open your portal link again to come back."),
      },
      "Sign out",
    ),
  );
  document.getElementById("nav").hidden = false;
}

async function signIn() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const code = fragment.get("code");
  if (code) {
    // Drop the code from the address bar and history at once; it is a bearer secret.
    history.replaceState(null, "", `${location.pathname}#/hooks`);
    try {
      session = await request("POST", "/portal/sessions/exchange", { code });
    } catch (error) {
      await brandFromDeployment();
      if (error.status === 401 || error.status === 422) {
        endSession("This link no longer works", "The link has expired, was revoked, or is not complete. Ask for a new link.");
        throw error;
      }
      show(h("section", { class: "notice panel" }, h("h1", {}, "Could not sign in"), errorBox(error, () => location.reload())));
      throw error;
    }
    store(session);
  } else {
    session = restore();
  }
  if (!session || new Date(session.expires_at) <= new Date()) {
    await brandFromDeployment();
    endSession(
      session ? "Your session has ended" : "Open the portal from your link",
      session
        ? "The portal session expired. Open a new portal link to continue."
        : "This page opens from a portal link. Ask the service you use for a link to manage your webhooks.",
    );
    throw new ApiError("no session", 401);
  }
  applyBranding(session.branding);
  renderAccount();
}

async function brandFromDeployment() {
  try {
    applyBranding(await request("GET", "/portal/branding"));
  } catch {
    applyBranding(null);
  }
}

async function eventTypes() {
  if (!catalogue) catalogue = (await api("GET", "/event-types")).items;
  return catalogue;
}

function byCategory(types) {
  const groups = new Map();
  for (const type of types) {
    const category = type.category || "Other";
    if (!groups.has(category)) groups.set(category, []);
    groups.get(category).push(type);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

// --- views --------------------------------------------------------------------------------------
async function hooksView() {
  const add = session.read_only ? null : h("a", { class: "button primary", href: "#/hooks/new" }, "Add webhook");
  const body = h("div", {}, loading());
  show(h("div", { class: "head" }, h("h1", {}, "Webhooks"), add), body);
  const load = async (cursor) => {
    const page = await api("GET", `/hooks?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    return page;
  };
  let page;
  try {
    page = await load();
  } catch (error) {
    fill(body, errorBox(error, hooksView));
    return;
  }
  if (!page.items.length) {
    fill(body, 
      h(
        "div",
        { class: "panel empty" },
        h("h2", {}, "No webhooks yet"),
        h(
          "p",
          { class: "muted" },
          session.read_only
            ? "Nothing is sent anywhere yet. Someone with edit access can add a webhook."
            : "Add a webhook with the URL that should receive events, and pick the events it wants.",
        ),
        add ? h("a", { class: "button primary", href: "#/hooks/new" }, "Add webhook") : null,
      ),
    );
    return;
  }
  const rows = h("tbody");
  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Name", "URL", "Status", "Event types", "Last delivery"].map((t) => h("th", { scope: "col" }, t)))),
    rows,
  );
  const more = h("div", { class: "pager" });
  const append = (items) => {
    for (const hook of items) {
      const last = h("td", { class: "wide", "data-label": "Last delivery" }, h("span", { class: "muted" }, "…"));
      rows.append(
        h(
          "tr",
          { "data-hook-id": hook.id },
          h("td", { "data-label": "Name" }, h("a", { href: `#/hooks/${encodeURIComponent(hook.id)}` }, hook.name)),
          h("td", { class: "url", "data-label": "URL" }, hook.url),
          h("td", { "data-label": "Status" }, badge(hook.status)),
          h("td", { "data-label": "Event types" }, h("div", { class: "chips" }, hook.on.map((t) => h("span", { class: "chip" }, t)))),
          last,
        ),
      );
      lastDelivery(hook.id).then((node) => fill(last, node));
    }
  };
  const pager = (next) => {
    fill(more, 
      next
        ? h(
            "button",
            {
              type: "button",
              onclick: async () => {
                const nextPage = await load(next);
                append(nextPage.items);
                pager(nextPage.next_cursor);
              },
            },
            "Show more",
          )
        : "",
    );
  };
  append(page.items);
  pager(page.next_cursor);
  fill(body, table, more);
}

async function lastDelivery(hookId) {
  try {
    const page = await api("GET", `/hooks/${encodeURIComponent(hookId)}/executions?limit=1`);
    const execution = page.items[0];
    if (!execution) return h("span", { class: "muted" }, "None yet");
    const code = execution.response_status ? ` ${execution.response_status}` : "";
    return h("span", {}, badge(execution.status), h("span", { class: "muted" }, `${code} · ${when(execution.created_at)}`));
  } catch {
    return h("span", { class: "muted" }, "Unavailable");
  }
}

function headerRows(headers) {
  const list = h("div");
  const addRow = (name = "", value = "") => {
    const row = h(
      "div",
      { class: "row" },
      field("Header name", h("input", { type: "text", name: "header-name", value: name, autocomplete: "off" })),
      field("Header value", h("input", { type: "text", name: "header-value", value: value, autocomplete: "off" })),
      h("button", { type: "button", onclick: () => row.remove() }, "Remove"),
    );
    list.append(row);
  };
  for (const [name, value] of Object.entries(headers || {})) addRow(name, value);
  const fieldset = h(
    "fieldset",
    {},
    h("legend", {}, "Custom headers"),
    h("p", { class: "hint" }, "Sent with every delivery, e.g. an API key your receiver expects."),
    list,
    h("button", { type: "button", onclick: () => addRow() }, "Add header"),
  );
  fieldset.collect = () => {
    const out = {};
    for (const row of list.children) {
      const name = row.querySelector("[name=header-name]").value.trim();
      if (name) out[name] = row.querySelector("[name=header-value]").value;
    }
    return out;
  };
  return fieldset;
}

function eventTypePicker(types, selected) {
  const chosen = new Set(selected);
  const known = new Set(types.map((t) => t.type));
  const search = h("input", { type: "search", placeholder: "Filter by name or description", autocomplete: "off" });
  const list = h("div", { class: "types" });
  for (const [category, members] of byCategory(types)) {
    const group = h("div", { "data-category": category }, h("h3", {}, category));
    for (const type of members) {
      const box = h("input", { type: "checkbox", value: type.type, checked: chosen.has(type.type) });
      group.append(
        h(
          "label",
          { class: "check", "data-search": `${type.type} ${type.description} ${category}`.toLowerCase() },
          box,
          h("span", {}, h("code", {}, type.type), type.description ? h("span", { class: "hint" }, ` ${type.description}`) : null),
        ),
      );
    }
    list.append(group);
  }
  search.addEventListener("input", () => {
    const needle = search.value.trim().toLowerCase();
    for (const group of list.children) {
      let visible = 0;
      for (const label of group.querySelectorAll("label")) {
        const match = !needle || label.dataset.search.includes(needle);
        label.hidden = !match;
        visible += match ? 1 : 0;
      }
      group.hidden = visible === 0;
    }
  });
  const globs = h("input", {
    type: "text",
    value: selected.filter((entry) => !known.has(entry)).join(", "),
    placeholder: "order.* or *",
    autocomplete: "off",
  });
  const fieldset = h(
    "fieldset",
    {},
    h("legend", {}, "Event types"),
    field("Search event types", search),
    list,
    field("Patterns", globs, "(comma-separated; * matches any part, e.g. order.*)"),
  );
  fieldset.collect = () => [
    ...[...list.querySelectorAll("input:checked")].map((box) => box.value),
    ...globs.value
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
  ];
  return fieldset;
}

function choice(name, value, labels) {
  const select = h("select", { name }, Object.entries(labels).map(([option, label]) => h("option", { value: option }, label)));
  select.value = value;
  return select;
}

// "Deliver to": HTTPS (the URL field), or an SQS queue / EventBridge bus in the customer's AWS account.
function destinationFields(current) {
  const kind = h(
    "select",
    { name: "destination" },
    h("option", { value: "https" }, "HTTPS endpoint (the URL below)"),
    h("option", { value: "sqs" }, "Amazon SQS queue in your AWS account"),
    h("option", { value: "eventbridge" }, "Amazon EventBridge bus in your AWS account"),
  );
  const target = h("input", { type: "text", name: "destination_target", autocomplete: "off" });
  const role = h("input", { type: "text", name: "role_arn", placeholder: "arn:aws:iam::123456789012:role/hookwire-delivery", autocomplete: "off" });
  const externalId = h("input", { type: "text", name: "external_id", autocomplete: "off" });
  const targetField = field("SQS queue", target, "(its address or ARN)");
  const aws = h("div", { class: "stack" }, targetField, field("Role ARN", role, "(hookwire-… roles only)"), field("External ID", externalId, "(your role's trust policy requires it)"));
  const sync = () => {
    aws.hidden = kind.value === "https";
    targetField.querySelector("label").firstChild.textContent = kind.value === "sqs" ? "SQS queue" : "Event bus ARN";
  };
  if (current) {
    kind.value = current.type;
    target.value = current.target;
    role.value = current.role_arn;
    externalId.value = current.external_id;
  }
  kind.addEventListener("change", sync);
  sync();
  const wrapper = h("div", { class: "stack" }, field("Deliver to", kind), aws);
  wrapper.kind = kind;
  wrapper.collect = () => {
    if (kind.value === "https") return null;
    const where = kind.value === "sqs" ? { queue_url: target.value.trim() } : { event_bus_arn: target.value.trim() };
    return { type: kind.value, ...where, role_arn: role.value.trim(), external_id: externalId.value.trim() };
  };
  return wrapper;
}

async function hookFormView(hookId) {
  if (session.read_only) return hooksView();
  show(h("h1", {}, hookId ? "Edit webhook" : "Add webhook"), loading());
  let hook = null;
  let types;
  let egress = null;
  try {
    [hook, types, egress] = await Promise.all([
      hookId ? api("GET", `/hooks/${encodeURIComponent(hookId)}`) : null,
      eventTypes(),
      // Only the add page hints at the addresses; a deployment without the route just shows no hint.
      hookId ? null : api("GET", "/egress-ips").catch(() => null),
    ]);
  } catch (error) {
    show(h("h1", {}, hookId ? "Edit webhook" : "Add webhook"), errorBox(error, () => hookFormView(hookId)));
    return;
  }
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200, value: hook ? hook.name : "" });
  const url = h("input", { type: "url", name: "url", required: true, placeholder: "https://example.com/webhooks", value: hook ? hook.url : "" });
  const description = h("textarea", { name: "description", rows: 2 }, hook ? hook.description || "" : "");
  description.style.minHeight = "3.5rem";
  const picker = eventTypePicker(types, hook ? hook.on : []);
  const format = choice("payload_format", hook ? hook.payload_format : "envelope", {
    envelope: "Envelope (id, type, timestamp, data)",
    data: "Data only (as published)",
  });
  const rateLimit = h("input", {
    type: "number",
    name: "rate_limit_per_second",
    min: 1,
    max: 1000,
    step: 1,
    inputmode: "numeric",
    value: hook && hook.rate_limit_per_second ? String(hook.rate_limit_per_second) : "",
  });
  const ordering = choice("ordering", hook ? hook.ordering : "none", {
    none: "Any order (fastest)",
    fifo: "In publish order, one at a time (FIFO)",
  });
  // The scheme is chosen when the webhook is added; rotating the key can switch it later.
  const scheme = hook
    ? null
    : h(
        "select",
        { name: "signature_scheme" },
        h("option", { value: "hmac-sha256" }, "HMAC-SHA256 (a shared secret)"),
        h("option", { value: "ed25519" }, "Ed25519 (a public key; the private key never leaves us)"),
      );
  const headers = headerRows(hook ? hook.headers : {});
  const payloadFilter = h(
    "textarea",
    { name: "filter", rows: 3, spellcheck: "false", placeholder: '{"data.status": {"$in": ["shipped", "delivered"]}}' },
    hook && hook.filter ? JSON.stringify(hook.filter, null, 2) : "",
  );
  const destination = destinationFields(hook ? hook.destination : null);
  const urlField = field("URL", url, "(where deliveries are POSTed)");
  const showUrl = () => {
    urlField.hidden = destination.kind.value !== "https";
  };
  destination.kind.addEventListener("change", showUrl);
  showUrl();
  const status = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, "Save");
  const cancelHref = hook ? `#/hooks/${encodeURIComponent(hook.id)}` : "#/hooks";
  const fields = {
    name, url, description, on: picker, payload_format: format, rate_limit_per_second: rateLimit, ordering,
    signature_scheme: scheme, headers, filter: payloadFilter, destination: destination.kind,
  };
  const form = h(
    "form",
    { class: "stack panel", novalidate: true },
    field("Name", name),
    destination,
    urlField,
    egress && egress.static
      ? h("p", { class: "hint", "data-testid": "egress-ips" }, `Deliveries come from these IP addresses; allow them through your firewall: ${egress.ips.join(", ")}`)
      : null,
    field("Description", description, "(optional)"),
    picker,
    field("Payload format", format),
    field("Rate limit", rateLimit, "(deliveries per second; empty: no limit)"),
    field("Delivery order", ordering),
    scheme ? field("Signature", scheme) : null,
    headers,
    field("Payload filter", payloadFilter, "(optional JSON: only events it matches are delivered)"),
    status,
    h("div", { class: "actions" }, save, h("a", { class: "button", href: cancelHref }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    const body = {
      name: name.value.trim(),
      url: url.value.trim(),
      description: description.value,
      on: picker.collect(),
      payload_format: format.value,
      rate_limit_per_second: rateLimit.value.trim() === "" ? null : Number(rateLimit.value),
      ordering: ordering.value,
      headers: headers.collect(),
    };
    try {
      const filterText = payloadFilter.value.trim();
      if (filterText || (hook && hook.filter)) body.filter = filterText ? JSON.parse(filterText) : null;
    } catch (error) {
      fill(status, errorBox(new Error(`The payload filter is not valid JSON: ${error.message}`)));
      payloadFilter.setAttribute("aria-invalid", "true");
      payloadFilter.focus();
      return;
    }
    if (scheme && scheme.value !== "hmac-sha256") body.signature_scheme = scheme.value;
    const target = destination.collect();
    if (target) {
      delete body.url;
      body.destination = target;
    } else if (hook && hook.destination) {
      body.destination = { type: "https" };
    }
    const missing = !body.name ? name : !target && !body.url ? url : null;
    if (missing || !body.on.length) {
      const message = missing ? `${missing === name ? "Name" : "URL"} is required.` : "Choose at least one event type or pattern.";
      fill(status, errorBox(new Error(message)));
      (missing || picker.querySelector("input")).focus();
      if (missing) missing.setAttribute("aria-invalid", "true");
      return;
    }
    save.disabled = true;
    fill(status, loading("Saving…"));
    try {
      if (hook) {
        await api("PATCH", `/hooks/${encodeURIComponent(hook.id)}`, body);
        location.hash = `#/hooks/${encodeURIComponent(hook.id)}`;
        return;
      }
      const created = await api("POST", "/hooks", body);
      show(
        h("h1", {}, "Webhook added"),
        keyPanel(created, `Signing secret for ${created.name}`, `Public key for ${created.name}`),
        h("p", {}, h("a", { class: "button primary", href: `#/hooks/${encodeURIComponent(created.id)}` }, "Done")),
      );
    } catch (error) {
      fill(status, errorBox(error));
      const top = String(error.field || "").split(".")[0];
      const control = fields[top];
      if (control) {
        const focusable = control.matches("input,select,textarea") ? control : control.querySelector("input");
        if (focusable) {
          focusable.setAttribute("aria-invalid", "true");
          focusable.focus();
        }
      }
    } finally {
      save.disabled = false;
    }
  });
  show(h("div", { class: "crumbs" }, h("a", { href: cancelHref }, "‹ Back")), h("h1", {}, hook ? "Edit webhook" : "Add webhook"), form);
}

async function hookView(hookId, filters = {}) {
  const path = `/hooks/${encodeURIComponent(hookId)}`;
  show(h("div", { class: "crumbs" }, h("a", { href: "#/hooks" }, "‹ Webhooks")), loading());
  let hook;
  try {
    hook = await api("GET", path);
  } catch (error) {
    show(h("div", { class: "crumbs" }, h("a", { href: "#/hooks" }, "‹ Webhooks")), h("h1", {}, "Webhook"), errorBox(error, () => hookView(hookId)));
    return;
  }
  const notice = h("div", { "aria-live": "polite" });
  const history = h("section", { "aria-labelledby": "history-title" });
  const refresh = () => hookView(hookId, filters);
  const refreshHistory = () => historySection(history, hook, filters);
  const act = async (fn) => {
    try {
      await fn();
    } catch (error) {
      fill(notice, errorBox(error));
    }
  };
  const paused = hook.status !== "active";
  const actions = session.read_only
    ? null
    : h(
        "div",
        { class: "actions" },
        h("a", { class: "button", href: `#${path}/edit` }, "Edit"),
        h(
          "button",
          {
            type: "button",
            onclick: () => act(async () => {
              await api("PATCH", path, { status: paused ? "active" : "paused" });
              refresh();
            }),
          },
          paused ? "Resume" : "Pause",
        ),
        h("button", { type: "button", onclick: () => rotateDialog(hook, notice) }, "Rotate secret"),
        h("button", { type: "button", onclick: () => testDialog(hook, notice, refreshHistory) }, "Send test"),
        h("button", { type: "button", onclick: () => recoverDialog(hook, notice, refreshHistory) }, "Recover failed deliveries"),
        h("button", { type: "button", class: "danger", onclick: () => deleteDialog(hook) }, "Delete"),
      );
  const facts = h(
    "dl",
    { class: "facts panel" },
    h("dt", {}, "Status"),
    h("dd", {}, badge(hook.status), hook.disabled_reason ? h("span", { class: "muted" }, ` ${hook.disabled_reason}`) : null),
    h("dt", {}, "URL"),
    h("dd", { class: "url" }, hook.url),
    h("dt", {}, "Event types"),
    h("dd", {}, h("div", { class: "chips" }, hook.on.map((t) => h("span", { class: "chip" }, t)))),
    h("dt", {}, "Payload format"),
    h("dd", {}, hook.payload_format),
    hook.rate_limit_per_second ? [h("dt", {}, "Rate limit"), h("dd", {}, `${hook.rate_limit_per_second} per second`)] : null,
    hook.ordering === "fifo" ? [h("dt", {}, "Delivery order"), h("dd", {}, "In publish order, one at a time (FIFO)")] : null,
    hook.destination
      ? [
          h("dt", {}, "Delivers to"),
          h("dd", {}, `${hook.destination.type === "sqs" ? "SQS queue" : "EventBridge bus"} ${hook.destination.target}, as ${hook.destination.role_arn} (external ID ${hook.destination.external_id})`),
        ]
      : null,
    h("dt", {}, "Signature"),
    h("dd", {}, hook.signature_scheme === "ed25519" ? "Ed25519 (v1a)" : "HMAC-SHA256 (v1)"),
    hook.public_key
      ? [
          h("dt", {}, "Public key"),
          h("dd", {}, h("div", { class: "secret" }, h("code", { "data-testid": "hook-public-key" }, hook.public_key), copyButton(hook.public_key, "Copy public key"))),
        ]
      : null,
    hook.description ? [h("dt", {}, "Description"), h("dd", {}, hook.description)] : null,
    Object.keys(hook.headers).length ? [h("dt", {}, "Custom headers"), h("dd", {}, h("pre", {}, headersText(hook.headers)))] : null,
    hook.filter ? [h("dt", {}, "Payload filter"), h("dd", {}, h("pre", {}, JSON.stringify(hook.filter, null, 2)))] : null,
    h("dt", {}, "Created"),
    h("dd", {}, when(hook.created_at)),
  );
  show(
    h("div", { class: "crumbs" }, h("a", { href: "#/hooks" }, "‹ Webhooks")),
    h("div", { class: "head" }, h("h1", {}, hook.name), actions),
    notice,
    facts,
    history,
  );
  await historySection(history, hook, filters);
}

async function historySection(section, hook, filters) {
  const types = await eventTypes().catch(() => []);
  const status = h(
    "select",
    {},
    [["", "All"], ["succeeded", "Succeeded"], ["failed", "Failed"], ["retrying", "Retrying"]].map(([value, label]) =>
      h("option", { value }, label),
    ),
  );
  status.value = filters.status || "";
  const eventType = h("select", {}, h("option", { value: "" }, "All"), types.map((t) => h("option", { value: t.type }, t.type)));
  eventType.value = filters.event_type || "";
  const results = h("div", {}, loading());
  const cursors = [null];
  const load = async (index) => {
    fill(results, loading());
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status.value) query.set("status", status.value);
    if (eventType.value) query.set("event_type", eventType.value);
    if (cursors[index]) query.set("cursor", cursors[index]);
    let page;
    try {
      page = await api("GET", `/hooks/${encodeURIComponent(hook.id)}/executions?${query}`);
    } catch (error) {
      fill(results, errorBox(error, () => load(index)));
      return;
    }
    if (!page.items.length) {
      const hint = status.value || eventType.value ? "No deliveries match these filters." : "No deliveries yet.";
      fill(results, 
        h("div", { class: "panel empty" }, h("p", {}, hint), session.read_only ? null : h("p", { class: "muted" }, "Use Send test to send one now.")),
      );
      return;
    }
    cursors[index + 1] = page.next_cursor;
    const rows = page.items.map((execution) =>
      h(
        "tr",
        {},
        h(
          "td",
          { "data-label": "Status" },
          h("a", { href: `#/hooks/${encodeURIComponent(hook.id)}/executions/${encodeURIComponent(execution.id)}`, "aria-label": `${execution.status}, details` }, badge(execution.status)),
          execution.test ? h("span", { class: "muted" }, " test") : null,
          execution.manual ? h("span", { class: "muted" }, " retry") : null,
        ),
        h("td", { "data-label": "HTTP code" }, execution.response_status ?? "—"),
        h("td", { "data-label": "Duration" }, execution.duration_ms === null ? "—" : `${execution.duration_ms} ms`),
        h("td", { "data-label": "Time" }, when(execution.created_at)),
        h("td", { "data-label": "Event type" }, h("code", {}, execution.event_type)),
        h("td", { class: "wide", "data-label": "Error" }, execution.error || ""),
      ),
    );
    const pager = h(
      "div",
      { class: "pager" },
      index > 0 ? h("button", { type: "button", onclick: () => load(index - 1) }, "Previous page") : null,
      page.next_cursor ? h("button", { type: "button", onclick: () => load(index + 1) }, "Next page") : null,
    );
    fill(results, 
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["Status", "HTTP code", "Duration", "Time", "Event type", "Error"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
      pager,
    );
  };
  const apply = () => {
    cursors.length = 1;
    load(0);
  };
  status.addEventListener("change", apply);
  eventType.addEventListener("change", apply);
  fill(section, 
    h("div", { class: "head" }, h("h2", { id: "history-title" }, "Delivery history"), h("button", { type: "button", onclick: apply }, "Refresh")),
    h("div", { class: "filters" }, field("Filter by status", status), field("Filter by event type", eventType)),
    results,
  );
  await load(0);
}

function rotateDialog(hook, notice) {
  const grace = h("select", {}, GRACE_CHOICES.map(([seconds, label]) => h("option", { value: String(seconds) }, label)));
  openDialog(
    "Rotate signing secret",
    h("div", {}, h("p", {}, "A new secret signs every delivery from now on."), field("Keep the old secret valid for", grace)),
    "Rotate",
    async () => {
      const rotated = await api("POST", `/hooks/${encodeURIComponent(hook.id)}/rotate`, { grace_seconds: Number(grace.value) });
      fill(notice, keyPanel(rotated, "New signing secret", "New public key"));
    },
  );
}

async function testDialog(hook, notice, refreshHistory) {
  let types = [];
  try {
    types = await eventTypes();
  } catch {
    /* the type can still be typed in */
  }
  const choice = h("select", {}, types.map((t) => h("option", { value: t.type }, t.type)));
  const payload = h("textarea", { rows: 10, spellcheck: "false" });
  const exampleOf = (name) => {
    const type = types.find((t) => t.type === name);
    return JSON.stringify((type && type.example) || {}, null, 2);
  };
  const matching = types.find((t) => hook.on.some((pattern) => globMatch(pattern, t.type)));
  if (matching) choice.value = matching.type;
  payload.value = exampleOf(choice.value);
  choice.addEventListener("change", () => (payload.value = exampleOf(choice.value)));
  openDialog(
    "Send test",
    h("div", { class: "stack" }, field("Event type", choice), field("Payload", payload, "(the event's data, JSON)")),
    "Send",
    async (status) => {
      let data;
      try {
        data = JSON.parse(payload.value || "{}");
      } catch (error) {
        throw new Error(`The payload is not valid JSON: ${error.message}`);
      }
      fill(status, loading("Sending…"));
      const execution = await api("POST", `/hooks/${encodeURIComponent(hook.id)}/test`, { type: choice.value || undefined, data });
      const outcome = execution.response_status
        ? `HTTP ${execution.response_status} in ${execution.duration_ms} ms`
        : execution.error || execution.status;
      fill(notice, 
        h("div", { class: execution.status === "succeeded" ? "success" : "alert", role: "status" }, `Test delivery ${execution.status}: ${outcome}`),
      );
      refreshHistory();
    },
  );
}

function localInputValue(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

function recoveryText(recovery) {
  const state = recovery.status === "done" ? "Recovery done" : "Recovering";
  return `${state}: ${recovery.queued} of ${recovery.found} failed deliveries re-sent (${recovery.scanned} attempts read).`;
}

function recoverDialog(hook, notice, refreshHistory) {
  const since = h("input", { type: "datetime-local", name: "since", required: true, value: localInputValue(new Date(Date.now() - 86400000)) });
  openDialog(
    "Recover failed deliveries",
    h("div", {}, h("p", {}, "Every delivery to this webhook that ended failed, of events published since then, is sent again once."), field("Failed since", since)),
    "Recover",
    async (status) => {
      const moment = new Date(since.value);
      if (!since.value || Number.isNaN(moment.getTime())) throw new Error("Choose the date and time to recover from.");
      const path = `/hooks/${encodeURIComponent(hook.id)}`;
      const recovery = await api("POST", `${path}/recover`, { since: moment.toISOString() });
      const line = h("div", { class: "success", role: "status" }, recoveryText(recovery));
      fill(notice, line);
      followRecovery(`${path}/recoveries/${encodeURIComponent(recovery.id)}`, recovery, line, refreshHistory);
    },
  );
}

async function followRecovery(path, recovery, line, refreshHistory) {
  // Progress while the page stays open; the recovery itself runs on the server either way.
  const deadline = Date.now() + 120000;
  try {
    while (recovery.status === "running" && Date.now() < deadline && line.isConnected) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      recovery = await api("GET", path);
      fill(line, recoveryText(recovery));
    }
    if (line.isConnected) refreshHistory();
  } catch (error) {
    fill(line, errorBox(error));
  }
}

function globMatch(pattern, name) {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}

function deleteDialog(hook) {
  openDialog(
    "Delete webhook",
    h("p", {}, "Delete ", h("strong", {}, hook.name), "? Deliveries to it stop at once. This cannot be undone."),
    "Delete webhook",
    async () => {
      await api("DELETE", `/hooks/${encodeURIComponent(hook.id)}`);
      location.hash = "#/hooks";
    },
    true,
  );
}

async function executionView(hookId, executionId) {
  const back = h("div", { class: "crumbs" }, h("a", { href: `#/hooks/${encodeURIComponent(hookId)}` }, "‹ Webhook"));
  show(back, loading());
  let execution;
  try {
    execution = await api("GET", `/hooks/${encodeURIComponent(hookId)}/executions/${encodeURIComponent(executionId)}`);
  } catch (error) {
    show(back, h("h1", {}, "Delivery"), errorBox(error, () => executionView(hookId, executionId)));
    return;
  }
  const notice = h("div", { "aria-live": "polite" });
  const retry = session.read_only
    ? null
    : h(
        "button",
        {
          type: "button",
          class: "primary",
          onclick: async (event) => {
            event.target.disabled = true;
            try {
              await api("POST", `/hooks/${encodeURIComponent(hookId)}/executions/${encodeURIComponent(executionId)}/retry`);
              fill(notice, 
                h("div", { class: "success", role: "status" }, "Retry queued. The new attempt appears in the delivery history."),
              );
            } catch (error) {
              fill(notice, errorBox(error));
            } finally {
              event.target.disabled = false;
            }
          },
        },
        "Retry",
      );
  const fact = (label, value) => (value === null || value === undefined || value === "" ? null : [h("dt", {}, label), h("dd", {}, value)]);
  show(
    back,
    h("div", { class: "head" }, h("h1", {}, `Delivery ${execution.event_type}`), retry),
    notice,
    h(
      "dl",
      { class: "facts panel" },
      fact("Status", badge(execution.status)),
      fact("HTTP code", execution.response_status),
      fact("Duration", execution.duration_ms === null ? null : `${execution.duration_ms} ms`),
      fact("Time", when(execution.created_at)),
      fact("Attempt", String(execution.attempt)),
      fact("Event id", h("code", {}, execution.event_id)),
      fact("Error", execution.error),
      fact("Next attempt", when(execution.next_attempt_at)),
    ),
    h(
      "div",
      { class: "grid2" },
      h(
        "section",
        {},
        h("h2", {}, "Request"),
        h("p", { class: "url" }, `POST ${execution.request_url || ""}`),
        h("h3", {}, "Headers"),
        h("pre", {}, headersText(execution.request_headers) || "—"),
        h("h3", {}, "Body"),
        h("pre", { "data-testid": "request-body" }, pretty(execution.request_body) || (execution.test ? "(test deliveries are not stored)" : "(no longer retained)")),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Response"),
        h("p", {}, execution.response_status ? `HTTP ${execution.response_status}` : "No response"),
        h("h3", {}, "Headers"),
        h("pre", {}, headersText(execution.response_headers) || "—"),
        h("h3", {}, "Body"),
        h("pre", {}, pretty(execution.response_body) || "—", execution.response_body_truncated ? "\n… (cut at 16 KiB)" : ""),
      ),
    ),
  );
}

async function catalogueView() {
  show(h("h1", {}, "Event catalogue"), loading());
  let types;
  try {
    types = await eventTypes();
  } catch (error) {
    show(h("h1", {}, "Event catalogue"), errorBox(error, catalogueView));
    return;
  }
  const search = h("input", { type: "search", placeholder: "Filter by name, description or category" });
  const list = h("div", { class: "catalogue" });
  const render = () => {
    const needle = search.value.trim().toLowerCase();
    const groups = byCategory(types.filter((t) => `${t.type} ${t.description} ${t.category || ""}`.toLowerCase().includes(needle)));
    fill(list, 
      groups.length ? "" : h("p", { class: "muted" }, "No event type matches."),
      groups.map(([category, members]) => [
        h("h2", {}, category),
        members.map((type) =>
          h(
            "article",
            {},
            h("h3", {}, h("code", {}, type.type)),
            h("p", {}, type.description || ""),
            h("details", {}, h("summary", {}, "JSON Schema"), h("pre", {}, type.schema ? JSON.stringify(type.schema, null, 2) : "No schema: any JSON object.")),
            h("details", {}, h("summary", {}, "Example payload"), h("pre", {}, JSON.stringify(type.example || {}, null, 2))),
          ),
        ),
      ]),
    );
  };
  search.addEventListener("input", render);
  render();
  show(
    h("h1", {}, "Event catalogue"),
    h("p", { class: "muted" }, "Every event a webhook can subscribe to. Patterns such as order.* match several."),
    field("Search the catalogue", search),
    h("div", { class: "panel" }, list),
  );
}

const PYTHON_SNIPPET = `# pip install standardwebhooks
from standardwebhooks import Webhook

wh = Webhook("whsec_...")  # the webhook's signing secret

def handle(request):
    # raises if the signature, timestamp or body is wrong
    payload = wh.verify(request.body, request.headers)
    ...`;

const NODE_SNIPPET = `// npm install standardwebhooks
import { Webhook } from "standardwebhooks";

const wh = new Webhook("whsec_..."); // the webhook's signing secret

app.post("/webhooks", express.raw({ type: "application/json" }), (req, res) => {
  const payload = wh.verify(req.body, req.headers); // throws if invalid
  res.sendStatus(204);
});`;

function verifyView() {
  show(
    h("h1", {}, "Verify signatures"),
    h(
      "div",
      { class: "panel stack" },
      h(
        "p",
        {},
        "Every delivery is signed (Standard Webhooks): the headers webhook-id, webhook-timestamp and webhook-signature " +
          "let your receiver check that the request came from us and was not changed. Verify the raw body, before parsing it, " +
          "and reject timestamps older than five minutes.",
      ),
      h("h2", {}, "Python"),
      h("pre", {}, h("code", {}, PYTHON_SNIPPET)),
      h("h2", {}, "Node.js"),
      h("pre", {}, h("code", {}, NODE_SNIPPET)),
      h(
        "p",
        { class: "muted" },
        "While a secret is being rotated with a grace period, webhook-signature carries one signature per live secret; either verifies.",
      ),
    ),
  );
}

// --- routing ------------------------------------------------------------------------------------
const ROUTES = [
  [/^#\/hooks\/new$/, () => hookFormView(null)],
  [/^#\/hooks\/([^/]+)\/edit$/, (id) => hookFormView(decodeURIComponent(id))],
  [/^#\/hooks\/([^/]+)\/executions\/([^/]+)$/, (id, ex) => executionView(decodeURIComponent(id), decodeURIComponent(ex))],
  [/^#\/hooks\/([^/]+)$/, (id) => hookView(decodeURIComponent(id))],
  [/^#\/catalogue$/, catalogueView],
  [/^#\/verify$/, verifyView],
  [/^#\/hooks$/, hooksView],
];

function route() {
  if (!session) return;
  const hash = location.hash || "#/hooks";
  for (const link of document.querySelectorAll("[data-nav]")) {
    const current = hash.startsWith(`#/${link.dataset.nav}`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const [pattern, view] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      Promise.resolve(view(...match.slice(1))).catch(() => {
        /* each view shows its own errors; a 401 already replaced the page */
      });
      return;
    }
  }
  location.hash = "#/hooks";
}

function start() {
  signIn()
    .then(route)
    .catch(() => {
      /* signIn already shows why there is no session */
    });
}

// A new link opened in the same tab changes only the fragment: sign in again with its code.
window.addEventListener("hashchange", () => (location.hash.startsWith("#code=") ? start() : route()));
start();
