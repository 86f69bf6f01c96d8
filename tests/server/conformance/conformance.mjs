// Conformance: the official Electric TypeScript client against the reference server.
//
//   node conformance.mjs http://127.0.0.1:PORT
//
// The server must run with --seed demo --test-controls. Every table is synced
// directly (/v1/shape) and through the proxy (/api/electric/<table>) for two users;
// live changes are made through the test controls and the write API meanwhile; each
// client copy must converge to the server's rows (GET /_test/rows/<table>, scoped for
// the proxy). Exit 0 when all agree, 1 with a diff otherwise.

import { setMaxListeners } from 'node:events'
import { Shape, ShapeStream } from '@electric-sql/client'

const base = process.argv[2]
if (!base) {
  console.error('usage: node conformance.mjs <server url>')
  process.exit(2)
}
const TABLES = ['organizations', 'users', 'organization_members', 'repositories', 'tasks', 'workspaces']
const ORG1 = 'db30ade9-b44e-57be-b7a3-5e98f527d67d'
const ORG2 = '68b0a92c-143e-54f4-a9f9-179ba24effa3'
const controller = new AbortController()
setMaxListeners(200, controller.signal) // one listener per shape stream
const errors = []

// The client warns when it sees a handle it had marked expired: from a correct server
// (no cache in between) that can only mean a reused handle, so it is a failure here.
const warn = console.warn
console.warn = (...args) => {
  const text = args.map(String).join(' ')
  if (/stale|expired/i.test(text)) errors.push('client warning: ' + text.split('. ')[0])
  warn(...args)
}

async function call(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}
const ctl = (method, path, body) => call(method, '/_test/' + path, body)

async function schemaOf(table) {
  const res = await fetch(`${base}/v1/shape?table=${table}&offset=-1`, { method: 'HEAD' })
  return JSON.parse(res.headers.get('electric-schema'))
}

// One canonical text per value, whatever side it comes from: the client parses by
// type (numbers, BigInt, booleans, JSON), the server gives Postgres text.
function canonClient(v) {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'bigint' || typeof v === 'number') return String(v)
  if (typeof v === 'object') return stable(v)
  return v
}
function canonServer(v, type) {
  if (v === null) return null
  if (type === 'bool') return v === 't' || v === 'true' ? 'true' : 'false'
  if (['int2', 'int4', 'int8', 'float4', 'float8'].includes(type)) return String(BigInt(v))
  if (type === 'json' || type === 'jsonb') return stable(JSON.parse(v))
  return v
}
function stable(v) {
  if (Array.isArray(v)) return '[' + v.map(stable).join(',') + ']'
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}'
  return JSON.stringify(v)
}
function canonRows(rows, schema, fromClient) {
  const out = {}
  for (const row of rows) {
    const r = {}
    for (const col of Object.keys(schema)) {
      r[col] = fromClient ? canonClient(row[col]) : canonServer(row[col], schema[col].type)
    }
    out[r.id] = r
  }
  return out
}
function diff(a, b) {
  const problems = []
  for (const id of Object.keys(b)) {
    if (!(id in a)) problems.push(`missing ${id}`)
    else if (stable(a[id]) !== stable(b[id])) problems.push(`differs ${id}: client ${stable(a[id])} server ${stable(b[id])}`)
  }
  for (const id of Object.keys(a)) if (!(id in b)) problems.push(`extra ${id}`)
  return problems
}

// Which server rows a user may see through the proxy.
async function scoped(table, userId) {
  const members = await ctl('GET', 'rows/organization_members')
  const orgs = new Set(members.filter((m) => m.user_id === userId).map((m) => m.organization_id))
  const rows = await ctl('GET', `rows/${table}`)
  if (table === 'organizations') return rows.filter((r) => orgs.has(r.id))
  if (table === 'users') {
    const visible = new Set(members.filter((m) => orgs.has(m.organization_id)).map((m) => m.user_id))
    return rows.filter((r) => visible.has(r.id))
  }
  return rows.filter((r) => orgs.has(r.organization_id))
}

function startShape(name, url, params, headers, liveSse = false) {
  const stream = new ShapeStream({
    url,
    params,
    headers,
    liveSse,
    signal: controller.signal,
    onError: (e) => {
      const text = `${e && e.message ? e.message : e}`
      // A body cut mid-stream (the `cut` fault) reaches onError rather than the
      // client's own retry; an application retries it, and so do we.
      if (/terminated|other side closed|fetch failed|ECONNRESET|socket/i.test(text)) return {}
      errors.push(`${name}: ${text}`)
    },
  })
  return { name, shape: new Shape(stream) }
}

async function waitConverged(clients, expectedFor, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs
  let problems = []
  while (Date.now() < deadline) {
    problems = []
    for (const c of clients) {
      const expected = canonRows(await expectedFor(c), c.schema, false)
      const got = canonRows(c.shape.currentRows, c.schema, true)
      const p = diff(got, expected)
      if (p.length) problems.push(`${c.name}: ${p.slice(0, 5).join('; ')}${p.length > 5 ? ` (+${p.length - 5})` : ''}`)
    }
    if (!problems.length && !errors.length) {
      console.log(`ok: ${what} (${clients.length} shapes)`)
      return
    }
    if (errors.length) break
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`not converged after ${what}:\n  ${[...errors, ...problems].join('\n  ')}`)
}

async function main() {
  const demo = await call('POST', '/api/auth/login', { email: 'demo@example.com', password: 'demo' })
  const linus = await call('POST', '/api/auth/login', { email: 'linus@example.com', password: 'demo' })
  const clients = []
  for (const table of TABLES) {
    const schema = await schemaOf(table)
    const direct = startShape(`direct ${table}`, `${base}/v1/shape`, { table })
    direct.schema = schema
    direct.expected = () => ctl('GET', `rows/${table}`)
    clients.push(direct)
    for (const [who, session] of [['demo', demo], ['linus', linus]]) {
      // `as` is ignored by the proxy; it gives each user's shape its own key in the
      // client's process-wide expired-handle cache, as separate processes would have.
      const c = startShape(`proxy ${who} ${table}`, `${base}/api/electric/${table}`, { as: who },
        { Authorization: `Bearer ${session.access_token}` })
      c.schema = schema
      c.expected = () => scoped(table, session.user.id)
      clients.push(c)
    }
  }
  // Server-sent events for live mode, directly and through the proxy.
  for (const table of ['tasks', 'workspaces']) {
    const schema = await schemaOf(table)
    const direct = startShape(`sse direct ${table}`, `${base}/v1/shape`, { table }, undefined, true)
    direct.schema = schema
    direct.expected = () => ctl('GET', `rows/${table}`)
    const proxied = startShape(`sse proxy linus ${table}`, `${base}/api/electric/${table}`, { as: 'linus-sse' },
      { Authorization: `Bearer ${linus.access_token}` }, true)
    proxied.schema = schema
    proxied.expected = () => scoped(table, linus.user.id)
    clients.push(direct, proxied)
  }
  // A filtered direct shape, so where-moves are exercised with the official client.
  const filtered = startShape('direct tasks where', `${base}/v1/shape`, {
    table: 'tasks', where: 'priority >= $1 AND status <> $2', params: { 1: '2', 2: 'Done' },
  })
  filtered.schema = await schemaOf('tasks')
  filtered.expected = async () => (await ctl('GET', 'rows/tasks'))
    .filter((t) => t.priority !== null && Number(t.priority) >= 2 && t.status !== 'Done')
  clients.push(filtered)

  await Promise.all(clients.map((c) => c.shape.rows))
  const expectedFor = (c) => c.expected()
  await waitConverged(clients, expectedFor, 'initial sync')

  // Live changes from "another client", including a multi-op transaction.
  const tasks = await ctl('GET', 'rows/tasks')
  const t1 = tasks[0]
  const t2 = tasks.find((t) => t.organization_id === ORG2)
  const newTask = '00000000-0000-4000-8000-00000000c0f1'
  await ctl('PATCH', `rows/tasks/${t1.id}`, { title: 'Conformance edit', priority: 4, labels: ['x', 'y'] })
  await ctl('POST', 'tx', {
    ops: [
      { op: 'insert', table: 'tasks', row: { ...t2, id: newTask, title: 'Inserted', external_key: 'NEB-999', status: 'Todo', priority: 3 } },
      { op: 'update', table: 'tasks', id: t2.id, row: { status: 'Done' } },
      { op: 'update', table: 'repositories', id: (await ctl('GET', 'rows/repositories'))[0].id, row: { is_private: false } },
    ],
  })
  await ctl('PATCH', `rows/tasks/${t1.id}`, { priority: 0 })
  // Through the write API, as the app would.
  const repo = (await ctl('GET', 'rows/repositories')).find((r) => r.organization_id === ORG1)
  const ws = '00000000-0000-4000-8000-00000000c0f2'
  const auth = { Authorization: `Bearer ${demo.access_token}`, 'Idempotency-Key': 'conformance-1' }
  await call('POST', '/api/workspaces', { id: ws, organization_id: ORG1, repository_id: repo.id, type: 'local', device_name: 'node' }, auth)
  await call('PATCH', `/api/workspaces/${ws}`, { git_status: { uncommitted: 2, ahead: 1, behind: 0 }, pr_number: 7 },
    { ...auth, 'Idempotency-Key': 'conformance-2' })
  await call('PATCH', `/api/tasks/${t2.id}`, { priority: 1 }, { ...auth, 'Idempotency-Key': 'conformance-3' })
  await ctl('DELETE', `rows/tasks/${newTask}`)
  // A primary key change (delete + insert with key_change_* headers).
  const wsRows = await ctl('GET', 'rows/workspaces')
  await ctl('PATCH', `rows/workspaces/${wsRows[0].id}`, { id: '00000000-0000-4000-8000-00000000c0f3' })
  await waitConverged(clients, expectedFor, 'live changes')

  // Linus joins Astrolabe Labs: his proxy shapes must 409 and resync to the wider scope.
  const membership = '00000000-0000-4000-8000-00000000c0f4'
  await ctl('POST', 'rows/organization_members', {
    id: membership, organization_id: ORG1, user_id: linus.user.id, role: 'member',
    created_at: '2026-03-01T00:00:00Z', updated_at: '2026-03-01T00:00:00Z',
  })
  await waitConverged(clients, expectedFor, 'membership gained')
  await ctl('PATCH', `rows/tasks/${t1.id}`, { title: 'Seen by Linus too' })
  await waitConverged(clients, expectedFor, 'change after membership gained')
  // ... and leaves again: rows of Astrolabe Labs must disappear from his copy.
  await ctl('DELETE', `rows/organization_members/${membership}`)
  await waitConverged(clients, expectedFor, 'membership lost')

  // Faults the client must ride out (it retries 5xx/429 and network errors, refetches
  // on 409, discards a replayed response from an expired handle).
  await ctl('POST', 'counters/reset')
  await ctl('POST', 'faults', {
    faults: [
      { path: '/api/electric/users', kind: 'delay', ms: 300, count: 1 },
      { path: '/v1/shape', kind: 'status', status: 503, count: 2, headers: { 'Retry-After': '1' },
        body: { code: 'concurrent_request_limit_exceeded', message: 'busy' } },
      { path: '/api/electric/', kind: 'status', status: 429, count: 2, headers: { 'Retry-After': '1' } },
      { path: '/v1/shape', kind: 'cut', after_bytes: 40, count: 2 },
      { path: '/api/electric/tasks', kind: 'must-refetch', count: 1 },
      { path: '/v1/shape', kind: 'status', status: 500, count: 1, body: { error: 'Internal server error' } },
    ],
  })
  await ctl('PATCH', `rows/tasks/${t1.id}`, { title: 'During faults' })
  await ctl('PATCH', `rows/users/${linus.user.id}`, { name: 'Linus T.' })
  // Every fault must have fired (live polls hit them within a few long-poll cycles) ...
  const until = Date.now() + 30000
  let left = []
  while (Date.now() < until) {
    left = (await ctl('GET', 'faults')).faults
    if (!left.length) break
    await ctl('PATCH', `rows/tasks/${t1.id}`, { title: `During faults ${Date.now()}` })
    await new Promise((r) => setTimeout(r, 300))
  }
  if (left.length) throw new Error('faults never fired: ' + JSON.stringify(left))
  // ... and every copy must still converge.
  await waitConverged(clients, expectedFor, 'faults', 60000)
  const counters = await ctl('GET', 'counters')
  console.log('statuses under faults: ' + JSON.stringify(counters))
  await ctl('DELETE', 'faults')

  // Rotation: every client of a table gets 409 and resyncs.
  await ctl('POST', 'rotate', { table: 'tasks' })
  await ctl('PATCH', `rows/tasks/${t1.id}`, { title: 'After rotation' })
  await waitConverged(clients, expectedFor, 'rotation')
}

main().then(() => {
  controller.abort()
  console.log('conformance: all shapes agree with the server')
  process.exit(0)
}, (e) => {
  controller.abort()
  console.error('conformance FAILED: ' + (e && e.stack ? e.stack : e))
  process.exit(1)
})
