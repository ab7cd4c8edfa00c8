// The status page: polls the proxy's own API (GET /v1/cluster, /health/ready, /metrics) every two seconds and shows
// the cluster tree, each member database's state, contacts per group, request rates, and the changes it saw between
// two polls as events. Everything is written with textContent: no text from the cluster is read as HTML.
'use strict';

const PollMs = 2000;
const MaxEvents = 50;
let previous = null;        // the last /v1/cluster answer
let previousCounts = null;  // { at, counts } of location_proxy_requests_total
const events = [];

const $ = id => document.getElementById(id);

function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function row(cells) {
  const tr = el('tr');
  for (const cell of cells) {
    const td = el('td');
    if (cell instanceof Node) td.append(cell); else td.textContent = cell ?? '–';
    tr.append(td);
  }
  return tr;
}

function state(text) { return el('span', text, { class: 'state', 'data-state': text }); }

function memberState(member) {
  if (member.status === 'on' && member.active && !member.readable) return 'catching up';
  return member.status;
}

function addEvent(text) {
  events.unshift({ at: new Date(), text });
  events.length = Math.min(events.length, MaxEvents);
}

// What changed between two answers of /v1/cluster, as sentences for the events list.
function compare(before, now) {
  if (!before) return;
  const nodesBefore = new Map(before.nodes.map(n => [n.address, n.status]));
  for (const node of now.nodes) {
    const was = nodesBefore.get(node.address);
    if (was === undefined) addEvent(`node ${node.address} joined (${node.status})`);
    else if (was !== node.status) addEvent(`node ${node.address}: ${was} → ${node.status}`);
    nodesBefore.delete(node.address);
  }
  for (const gone of nodesBefore.keys()) addEvent(`node ${gone} left the cluster`);
  if (before.masterDown !== now.masterDown) addEvent(now.masterDown ? 'the master database cannot be reached' : 'the master database is back');
  const groupsBefore = new Map(before.groups.map(g => [`${g.table}/${g.id}`, g]));
  for (const group of now.groups) {
    const name = `${group.table}/${group.id}`;
    const was = groupsBefore.get(name);
    if (!was) continue;
    if (was.state !== group.state) addEvent(`group ${name}: ${was.state} → ${group.state}`);
    if (was.node && group.node && was.node !== group.node) addEvent(`group ${name} moved from ${was.node} to ${group.node}`);
    const membersBefore = new Map(was.members.map(m => [m.no, m]));
    for (const member of group.members) {
      const old = membersBefore.get(member.no);
      if (!old) continue;
      if (memberState(old) !== memberState(member)) addEvent(`member ${group.id}/${member.no}: ${memberState(old)} → ${memberState(member)}`);
      if (member.errors > old.errors) addEvent(`member ${group.id}/${member.no}: ${member.errors} errors`);
    }
  }
}

// location_proxy_requests_total{operation="lookup",outcome="ok"} 42 -> Map("lookup|ok" -> 42)
function requestCounts(metrics) {
  const counts = new Map();
  for (const line of metrics.split('\n')) {
    const m = /^location_proxy_requests_total\{([^}]*)\} ([0-9.e+]+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map(l => [l[1], l[2]]));
    counts.set(`${labels.operation}|${labels.outcome}`, Number(m[2]));
  }
  return counts;
}

function renderRates(metrics) {
  const now = { at: performance.now(), counts: requestCounts(metrics) };
  const body = $('rates').tBodies[0];
  if (previousCounts) {
    const seconds = (now.at - previousCounts.at) / 1000;
    const rates = new Map();
    for (const [key, value] of now.counts) {
      const [operation, outcome] = key.split('|');
      const rate = Math.max(0, value - (previousCounts.counts.get(key) ?? 0)) / seconds;
      const kind = outcome === 'ok' ? 'ok' : outcome === 'not_found' ? 'notFound' : 'failed';
      const entry = rates.get(operation) ?? { ok: 0, notFound: 0, failed: 0 };
      entry[kind] += rate;
      rates.set(operation, entry);
    }
    body.replaceChildren(...[...rates].sort().map(([operation, r]) => row([operation, r.ok.toFixed(1), r.notFound.toFixed(1), r.failed.toFixed(1)])));
  }
  previousCounts = now;
}

function renderCluster(cluster) {
  const hosted = new Map();
  for (const group of cluster.groups) if (group.node) hosted.set(group.node, (hosted.get(group.node) ?? 0) + 1);
  $('nodes').tBodies[0].replaceChildren(...cluster.nodes.map(n => row([n.address, state(n.status), String(hosted.get(n.address) ?? 0), n.http ?? '–'])));

  const groups = cluster.groups.map(group => {
    const box = el('div', null, { class: 'group', 'data-group': `${group.table}/${group.id}` });
    const title = el('h3', `${group.table} group ${group.id} `);
    title.append(state(group.state), el('span', ` on ${group.node ?? 'no node'} · ${group.aors ?? '–'} AORs · ${group.contacts ?? '–'} contacts`, { class: 'muted' }));
    box.append(title);
    if (group.problem) box.append(el('p', group.problem, { class: 'muted' }));
    const table = el('table');
    const head = el('tr');
    for (const name of ['no', 'database', 'state', 'errors', 'failover', '']) head.append(el('th', name));
    table.createTHead().append(head);
    const body = el('tbody');
    for (const member of group.members) {
      const actions = el('span');
      if (member.status === 'on') actions.append(button('Maintenance', group.id, member.no, 'maintenance'));
      else actions.append(button('Activate', group.id, member.no, 'activate'));
      const tr = row([String(member.no), member.url /* masked by the proxy (DatabaseUrl.Mask) */, state(memberState(member)), String(member.errors), member.failover ?? '–', actions]);
      tr.dataset.member = `${group.id}/${member.no}`;
      body.append(tr);
    }
    table.append(body);
    box.append(table);
    return box;
  });
  $('groups').replaceChildren(...groups);

  const master = $('master');
  master.textContent = cluster.masterDown ? 'master unreachable' : 'master reachable';
  master.dataset.state = cluster.masterDown ? 'down' : 'up';
}

function button(label, id, no, change) {
  const b = el('button', label, { type: 'button' });
  b.addEventListener('click', async () => {
    const token = $('token').value;
    if (!token) { addEvent(`${label} of member ${id}/${no}: enter the admin token first`); renderEvents(); return; }
    const answer = await fetch(`/v1/locdb/${id}/${no}/${change}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    const body = await answer.json().catch(() => ({}));
    addEvent(answer.ok ? `${label} of member ${id}/${no} requested` : `${label} of member ${id}/${no} refused: ${body.error ?? answer.status}`);
    renderEvents();
  });
  return b;
}

function renderEvents() {
  $('events').replaceChildren(...events.map(e => el('li', `${e.at.toLocaleTimeString()} ${e.text}`)));
}

async function poll() {
  try {
    const [cluster, ready, metrics] = await Promise.all([
      fetch('/v1/cluster').then(r => r.json()),
      fetch('/health/ready').then(async r => ({ ok: r.ok, body: await r.json() })),
      fetch('/metrics').then(r => r.text()),
    ]);
    compare(previous, cluster);
    previous = cluster;
    renderCluster(cluster);
    renderRates(metrics);
    renderEvents();
    const badge = $('ready');
    badge.textContent = ready.ok ? 'ready' : 'not ready';
    badge.dataset.state = ready.ok ? 'ready' : 'not ready';
    const problem = $('problem');
    problem.hidden = ready.ok;
    problem.textContent = ready.ok ? '' : (ready.body.reason ?? 'not ready');
    $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    const problem = $('problem');
    problem.hidden = false;
    problem.textContent = `the proxy does not answer (${e.message}); trying again`;
  } finally {
    setTimeout(poll, PollMs);
  }
}

$('token').value = sessionStorage.getItem('la-admin-token') ?? '';
$('token').addEventListener('change', () => sessionStorage.setItem('la-admin-token', $('token').value));
$('token-form').addEventListener('submit', e => e.preventDefault());
poll();
