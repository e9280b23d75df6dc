import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT, tempHome } from '../test-support/temp-home'

/**
 * The offline promise: a CLI journey (create, list, serve and call the API) inside a network
 * namespace that has no interfaces but its own loopback. With strace available, also proves no
 * connect() to any address other than loopback was even attempted.
 */
const probe = spawnSync('unshare', ['-n', 'true'])
const canUnshare = process.platform === 'linux' && probe.status === 0
const hasIp = spawnSync('sh', ['-c', 'command -v ip']).status === 0
const hasStrace = spawnSync('sh', ['-c', 'command -v strace']).status === 0
if (!canUnshare) console.log(`offline test skipped: cannot create a network namespace here (unshare -n needs root on Linux: ${probe.error?.message ?? probe.stderr?.toString().trim()})`)

let home: ReturnType<typeof tempHome>
afterEach(() => home?.cleanup())

describe.skipIf(!canUnshare)('offline CLI journey', () => {
  it('works in a network namespace without interfaces and connects nowhere but loopback', () => {
    home = tempHome()
    const bin = path.join(REPO_ROOT, 'bin', 'perturb-studio.js')
    const trace = path.join(home.dir, 'trace')
    const node = JSON.stringify(process.execPath)
    const cli = `${node} ${JSON.stringify(bin)} --home ${JSON.stringify(home.dir)} --json`
    const journey = [
      hasIp ? 'ip link set lo up' : 'true',
      `${cli} project create Offline > ${home.dir}/create.json`,
      `${cli} project list > ${home.dir}/list.json`,
      ...(hasIp
        ? [
            `${cli} serve > ${home.dir}/serve.json & pid=$!`,
            `for i in $(seq 150); do [ -s ${home.dir}/serve.json ] && break; sleep 0.2; done`,
            // The server is stopped whatever the call did, or it would hold the test's pipes open.
            `{ ${node} -e "const {url}=JSON.parse(require('fs').readFileSync('${home.dir}/serve.json','utf8')); const u=new URL(url); fetch(u.origin+'/api/project:list',{method:'POST',headers:{Authorization:'Bearer '+u.searchParams.get('token')},body:'{}'}).then(r=>r.json()).then(j=>{require('fs').writeFileSync('${home.dir}/api.json',JSON.stringify(j))})"; s=$?; kill $pid; wait $pid 2>/dev/null; test $s -eq 0; }`,
          ]
        : []),
    ].join(' && ')
    const cmd = hasStrace ? ['strace', '-f', '-qq', '-e', 'trace=connect', '-o', trace, 'sh', '-c', journey] : ['sh', '-c', journey]
    // The API call needs no UI: an empty UI folder of its own keeps serve from building one here.
    const env = { ...process.env, PERTURB_STUDIO_RENDERER_DIR: path.join(home.dir, 'no-ui') }
    const r = spawnSync('unshare', ['-n', ...cmd], { encoding: 'utf8', timeout: 60_000, env })
    expect(r.status, r.stderr).toBe(0)

    expect(JSON.parse(fs.readFileSync(`${home.dir}/create.json`, 'utf8'))).toMatchObject({ name: 'Offline' })
    expect(JSON.parse(fs.readFileSync(`${home.dir}/list.json`, 'utf8'))).toEqual([expect.objectContaining({ name: 'Offline' })])
    if (hasIp) expect(JSON.parse(fs.readFileSync(`${home.dir}/api.json`, 'utf8'))).toMatchObject({ ok: true, data: [{ name: 'Offline' }] })
    else console.log('offline test: `ip` not installed, so the served API was not exercised inside the namespace')

    if (hasStrace) {
      const inet = fs
        .readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => /sa_family=AF_INET6?/.test(l))
      // The audit must have seen the journey's own loopback call, or it proves nothing.
      if (hasIp) expect(inet.some((l) => l.includes('127.0.0.1'))).toBe(true)
      const outbound = inet
        .filter((l) => !/inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "::1"/.test(l))
      expect(outbound).toEqual([])
    } else console.log('offline test: strace not installed, so connect() calls were not audited')
  })
})
