import { checkLine, fmt, markdownTable, median } from '../report.js'
import { BULK_CHUNK, GOAL_P99_MS, MB, RAMP_P99_LIMIT_MS, type SyncRun } from './config.js'
import type { ResourceWindow, YjsReference } from './protocol.js'
import { ITEM_JSON_BYTES, LOTS } from './records.js'
import { latencyRow, lostCell, ms, pct, resourceCells, sustained, type Report } from './report.js'
import type { Summary } from './stats.js'
import type { StreamResult } from './stream.js'

/* The rooms suite's full Markdown report. */

export function render(r: Report): string {
  const { raw, room } = r
  const m = r.machine
  const halfRtt = { ...r.rttMs, p50: r.rttMs.p50 / 2, p90: r.rttMs.p90 / 2, p99: r.rttMs.p99 / 2, max: r.rttMs.max / 2 }
  const latency = markdownTable(
    [
      'Path, producer process → consumer process',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'samples',
      'achieved /s',
      'lost / coalesced',
      'other load',
    ],
    [
      latencyRow('raw data channel one way, 1 000/s: send() → data event', raw.latencyMs, [
        fmt(raw.achievedRate, 0),
        lostCell(raw),
        pct(raw.otherLoad),
      ]),
      latencyRow('raw data channel one way, 1 000/s, via simple-peer write() as rooms send', r.rawWrite.latencyMs, [
        fmt(r.rawWrite.achievedRate, 0),
        lostCell(r.rawWrite),
        pct(r.rawWrite.otherLoad),
      ]),
      latencyRow('raw data channel RTT / 2 (sequential ping-pong)', halfRtt, ['', '', '']),
      latencyRow('raw data channel RTT (sequential ping-pong)', r.rttMs, ['', '', '']),
      latencyRow('**room, 1 000/s: update() → change event**', room.latencyMs, [
        fmt(room.achievedRate, 0),
        lostCell(room),
        pct(room.otherLoad),
      ]),
      latencyRow('room, 1 000/s: scheduled time → change event', room.fromIntendedMs, ['', '', '']),
      ...(r.timer
        ? [
            latencyRow('room, 1 000/s paced by setTimeout: update() → change', r.timer.latencyMs, [
              fmt(r.timer.achievedRate, 0),
              lostCell(r.timer),
              pct(r.timer.otherLoad),
            ]),
            latencyRow('room, 1 000/s paced by setTimeout: scheduled → change', r.timer.fromIntendedMs, ['', '', '']),
          ]
        : []),
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const parts = (s: StreamResult): Array<[string, Summary]> => [
    ['sender: send call → data-channel send()', s.breakdown.senderMs],
    ['inside data-channel send() (blocking call into the WebRTC thread)', s.breakdown.sendCallMs],
    ['send() returned → data event in the other process (WebRTC threads, SCTP, DTLS, UDP)', s.breakdown.transportMs],
    ['receiver: data event → application event', s.breakdown.receiverMs],
    ['total', s.latencyMs],
  ]
  const rawParts = parts(raw)
  const writeParts = parts(r.rawWrite)
  const breakdown = markdownTable(
    [
      'part of the latency',
      'raw send() p50',
      'raw send() p99',
      'raw write() p50',
      'raw write() p99',
      'room p50',
      'room p99',
    ],
    parts(room).map(([name, s], i) => {
      const rs = rawParts[i]![1]
      const ws = writeParts[i]![1]
      return [name, ms(rs.p50), ms(rs.p99), ms(ws.p50), ms(ws.p99), ms(s.p50), ms(s.p99)]
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const gcLine = (name: string, x: StreamResult): string =>
    `${name}: ${x.gc.slowerThanGoal} of ${x.count} slower than ${GOAL_P99_MS} ms, ${x.gc.slowDuringGc} of them ` +
    `(${fmt((100 * x.gc.slowDuringGc) / Math.max(1, x.gc.slowerThanGoal), 0)}%) with a GC pause in the sender or receiver process during their flight, ` +
    `against ${fmt((100 * x.gc.allDuringGc) / x.count, 1)}% of all (${x.gc.pauses} pauses, ${fmt(x.gc.pauseMs, 1)} ms in all).`
  const steps = [room, ...(r.timer ? [r.timer] : []), ...r.ramp]
  const ramp = markdownTable(
    [
      'target /s',
      'pacing',
      'achieved /s',
      'updates per tick',
      'messages per update',
      'wire B per update',
      'p50 ms',
      'p99 ms',
      'max ms',
      'lost / coalesced',
      'CPU producer / consumer',
      'other load',
      'sustained',
    ],
    steps.map((s) => [
      fmt(s.targetRate, 0),
      s.pacing,
      fmt(s.achievedRate, 0),
      fmt(s.itemsPerWakeup, 2),
      fmt(s.messagesPerItem, 3),
      fmt(s.wireBytesPerItem, 1),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p99),
      ms(s.latencyMs.max),
      lostCell(s),
      `${fmt((100 * s.sender.cpuMs) / s.sender.wallMs, 0)}% / ${fmt((100 * s.receiver.cpuMs) / s.receiver.wallMs, 0)}%`,
      pct(s.otherLoad),
      sustained(s) ? 'yes' : 'no',
    ]),
    ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  )
  const sleepSteps = [room, ...r.ramp]
  const maxSustained = sleepSteps.filter(sustained).reduce((a, s) => Math.max(a, s.achievedRate), 0)
  const meetsGoal = sleepSteps.filter((s) => sustained(s) && s.latencyMs.p99 <= GOAL_P99_MS)
  const syncRows = r.syncs.flatMap((s) =>
    s.runs.map((run, i) => [
      `${s.set === 'many' ? `${s.records} × ${ITEM_JSON_BYTES / 1000} KB` : '1 × 10 MB'} #${i + 1}`,
      fmt(run.traffic.bytesReceived / MB, 2),
      ms(run.connectMs),
      ms(run.firstChunkMs - run.connectMs),
      ms(run.lastChunkMs - run.firstChunkMs),
      ms(run.syncedMs - run.lastChunkMs),
      ms(run.totalMs),
      fmt(run.mbPerSec, 2),
      fmt(run.mbPerSecAfterConnect, 2),
      `${fmt((100 * run.resources.cpuMs) / run.resources.wallMs, 0)}%`,
      `${run.resources.gcCount} / ${fmt(run.resources.gcMs, 0)} ms`,
      pct(run.otherLoad),
      run.digestOk ? 'yes' : '**no**',
    ]),
  )
  const sync = markdownTable(
    [
      'records (JSON MB)',
      'wire MB',
      'join → connected ms',
      '→ first chunk ms',
      '→ last chunk ms',
      '→ synced ms',
      'total ms',
      'MB/s (join →)',
      'MB/s (connected →)',
      'consumer CPU',
      'consumer GCs / pause',
      'other load',
      'copy equal',
    ],
    syncRows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  )
  const hasReference = r.syncs.some((s) => s.runs.some((x) => x.yjs !== null))
  const yjsRows = r.syncs.map((s) => {
    const withRef = s.runs.filter((x) => x.yjs !== null)
    const med = (f: (run: SyncRun) => number): number => median(s.runs.map(f))
    const ref = (f: (y: YjsReference) => number): number => median(withRef.map((x) => f(x.yjs!)))
    return [
      s.set === 'many' ? `${s.records} × ${ITEM_JSON_BYTES / 1000} KB` : '1 × 10 MB',
      fmt(ref((y) => y.updateBytes) / MB, 2),
      ms(med((x) => x.firstChunkMs - x.connectMs)),
      ms(ref((y) => y.encodeMs)),
      ms(med((x) => x.syncedMs - x.lastChunkMs)),
      `${ms(ref((y) => y.applyMs))} (${ms(ref((y) => y.applyGcMs))})`,
      ms(ref((y) => y.jsonParseMs)),
    ]
  })
  const yjs = markdownTable(
    [
      'records',
      'Yjs state MB',
      'room: connected → first chunk ms',
      'plain Y.encodeStateAsUpdate ms',
      'room: last chunk → synced ms',
      'plain Y.applyUpdate ms (GC ms)',
      'JSON.parse of the records ms',
    ],
    yjsRows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const bulk = markdownTable(
    ['raw bulk run', 'MB', 'messages of', 'ms', 'MB/s', 'other load'],
    r.bulk.map((b, i) => [
      r.bulk.length > 1 && i === 0 ? 'warm-up' : `#${i + (r.bulk.length > 1 ? 0 : 1)}`,
      fmt(b.bytes / MB, 2),
      `${b.chunkBytes} B`,
      ms(b.ms),
      fmt(b.mbPerSec, 1),
      pct(b.otherLoad),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  )
  const resources = markdownTable(
    [
      'run (1 000/s)',
      'process',
      'CPU (of one core)',
      'run-queue wait: all threads / JS thread',
      'GCs / total / longest',
      'loop delay p99 / max ms',
    ],
    [
      ['raw one way', 'sender (producer)', ...resourceCells(raw.sender)],
      ['raw one way', 'receiver (consumer)', ...resourceCells(raw.receiver)],
      ['raw one way via write()', 'sender (producer)', ...resourceCells(r.rawWrite.sender)],
      ['raw one way via write()', 'receiver (consumer)', ...resourceCells(r.rawWrite.receiver)],
      ['room', 'producer', ...resourceCells(room.sender)],
      ['room', 'consumer', ...resourceCells(room.receiver)],
    ],
    ['left', 'left', 'right', 'right', 'right', 'right'],
  )
  const threadNames = Array.from(
    new Set([raw.sender, raw.receiver, room.sender, room.receiver].flatMap((w) => Object.keys(w.threadCpuMs))),
  ).sort((a, b) => (a === 'main (JS)' ? -1 : b === 'main (JS)' ? 1 : a.localeCompare(b)))
  const perItem = (w: ResourceWindow, name: string, n: number): string =>
    fmt(((w.threadCpuMs[name] ?? 0) * 1000) / n, 0)
  const threads = markdownTable(
    ['thread (name)', 'raw sender µs/msg', 'raw receiver µs/msg', 'room producer µs/update', 'room consumer µs/update'],
    [
      ...threadNames.map((name) => [
        name,
        perItem(raw.sender, name, raw.count),
        perItem(raw.receiver, name, raw.count),
        perItem(room.sender, name, room.count),
        perItem(room.receiver, name, room.count),
      ]),
      [
        '**process CPU**',
        fmt((raw.sender.cpuMs * 1000) / raw.count, 0),
        fmt((raw.receiver.cpuMs * 1000) / raw.count, 0),
        fmt((room.sender.cpuMs * 1000) / room.count, 0),
        fmt((room.receiver.cpuMs * 1000) / room.count, 0),
      ],
    ],
    ['left', 'right', 'right', 'right', 'right'],
  )
  const clocks = markdownTable(
    [
      'process',
      'rounds',
      'IPC RTT median / min µs',
      'hrtime: stamps outside bracket',
      'hrtime offset µs',
      'timeOrigin+now: outside bracket',
      'timeOrigin+now offset µs',
    ],
    r.clocks.map((c) => [
      c.process,
      String(c.rounds),
      `${fmt(c.ipcRttUsMedian, 1)} / ${fmt(c.ipcRttUsMin, 1)}`,
      String(c.monoViolations),
      fmt(c.monoOffsetUs, 1),
      String(c.wallViolations),
      fmt(c.wallOffsetUs, 1),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  return [
    '# Rooms benchmark: WebRTC latency and initial sync',
    '',
    `${String(m['date'])} · Node ${String(m['node'])} · ${String(m['cpuModel'])} × ${String(m['cpuCount'])} · ` +
      `load average before ${(m['loadAvgBefore'] as number[]).map((v) => v.toFixed(2)).join(' ')} · ` +
      'producer and consumer in separate processes, signaling server in the parent, loopback ICE candidates only',
    '',
    ...(r.quick
      ? ['**Smoke run (`--quick`)**: short runs; percentiles from few samples, not comparable with a full run.', '']
      : []),
    '## Latency',
    '',
    latency,
    '',
    `Room: ${room.count} updates after ${r.warmup.count} warm-up ones, one auction lot's \`last_bid\` per ms (100 lots, round robin), ` +
      `the producer sleeping (\`Atomics.wait\`) until each is due: ${fmt(room.itemsPerWakeup, 2)} updates per wake-up, ` +
      `${fmt(room.messagesPerItem, 3)} data-channel messages and ${fmt(room.wireBytesPerItem, 1)} wire bytes per update, ` +
      `send calls behind schedule by p50 ${ms(room.sendLagMs.p50)} ms, p99 ${ms(room.sendLagMs.p99)} ms. ` +
      `Raw: ${raw.count} messages of ${r.config.rawPayloadBytes} B on the same schedule over a simple-peer channel between the same two processes ` +
      `(open at the same time as the room; the raw and room series alternate in ${room.blocks} blocks each, so both see the same stretch of time), ` +
      `${r.rawWrite.count} more through simple-peer's stream write() as a room sends, and ${r.rttMs.n} sequential ping-pongs. ` +
      `p99 of each room block: ${room.blockP99Ms.map((v) => ms(v)).join(', ')} ms; of each raw block: ${raw.blockP99Ms.map((v) => ms(v)).join(', ')} ms.` +
      (r.timer
        ? ` setTimeout pacing (libuv's 1 ms timers) wakes ${fmt(r.timer.itemsPerWakeup, 2)} updates at a time, which leave in one message` +
          ` (${fmt(r.timer.messagesPerItem, 3)} messages per update).`
        : ''),
    '',
    '### Where the time goes (1 000/s runs)',
    '',
    breakdown,
    '',
    "Stamps: the sender's call (`update()` / `send()`), the start and end of each `RTCDataChannel.send` (simple-peer's `send`, " +
      "wrapped in the peer process), the receiver's `data` event (a listener placed before the room's) and the `change` event. " +
      "The room's PeerLink is reached through its private `links` field (bench-only instrumentation, nothing changed in core). " +
      'The parts of a coalesced update are those of the update that superseded it.',
    '',
    `Tail and GC: ${gcLine('room', room)} ${gcLine('Raw send()', raw)}`,
    '',
    `CPU per update (all threads of both processes): room ${fmt(((room.sender.cpuMs + room.receiver.cpuMs) * 1000) / room.count, 0)} µs, ` +
      `raw message ${fmt(((raw.sender.cpuMs + raw.receiver.cpuMs) * 1000) / raw.count, 0)} µs (by thread: see Resources).`,
    '',
    '## Rate ramp',
    '',
    ramp,
    '',
    `Sustained = the producer kept ≥ 95% of the target rate, nothing was lost and p99 ≤ ${RAMP_P99_LIMIT_MS} ms. ` +
      (r.ramp.length === 0
        ? 'No ramp in this run.'
        : `Highest sustained: ${fmt(maxSustained, 0)} updates/s; highest meeting p99 ≤ ${GOAL_P99_MS} ms: ` +
          `${meetsGoal.length > 0 ? `${fmt(Math.max(...meetsGoal.map((s) => s.achievedRate)), 0)} updates/s` : 'none'}. ` +
          'The ramp stops at the first rate that is not sustained; above 1 000/s several updates fall due per wake-up and leave as one message. ' +
          `Coalesced: an update superseded by a later one of the same lot (${LOTS} lots, round robin) within one batch, so the consumer only saw the later value (latest wins); its latency counts to that later change.`),
    '',
    '## Initial sync',
    '',
    sync,
    '',
    ...(hasReference
      ? [
          yjs,
          '',
          'Room columns: medians over the runs. The plain-Yjs and JSON columns are measured once per set, after the first run, ' +
            'in the consumer process on the synced state (untimed for the sync): one encode (what the producer does after the connection, ' +
            "before the first chunk) and one apply into a fresh Y.Doc (the room's consumer, after the last chunk, inspects the update, " +
            'applies it to its mirror and notes it in the recovery point). JSON.parse of the same records is a floor for any format.',
          '',
        ]
      : []),
    bulk,
    '',
    `Sync: the producer process holds the records (${r.syncs.map((s) => `${s.set}: written in ${fmt(s.writeMs / 1000, 2)} s`).join(', ')}, not timed); ` +
      'a fresh consumer room in the consumer process joins; timed from `joinRoom` (signaling, ICE and DTLS included) to `whenSynced()` ' +
      'with every record present. Phases: connected (first WebRTC peer), first and last frame of the initial sync reaching JavaScript ' +
      '(16 KiB chunks, or the packed ~64 KiB pieces that DiffStream peers in Node send each other, docs/rooms.md; before the first: the ' +
      "producer encodes its state and packs it), synced (the consumer's checks and applies, which overlap the transfer). The copy is compared with the " +
      "producer's records afterwards (SHA-256 of canonical JSON, untimed). Raw bulk: 10 MB through the raw simple-peer channel in " +
      `${BULK_CHUNK} B messages via its stream (as a room sends a big message), first write → last byte in the other process. MB = 10^6 bytes.`,
    '',
    '## Resources during the 1 000/s runs',
    '',
    resources,
    '',
    threads,
    '',
    'The producer sleeps in `Atomics.wait` between updates, so its event-loop delay is by design up to a period. ' +
      'CPU = process CPU time (all threads) / wall time. Per thread: on-CPU time (schedstat) during the run divided by the messages or updates sent; ' +
      "'node' threads are V8's GC and compiler helpers and libuv's pool; the others are WebRTC's (PeerConnectionF… = its network, worker and signaling threads). " +
      'Run-queue wait = time threads were ready to run but had no core ' +
      '(/proc schedstat), as a share of wall time: the 2 cores are shared by both processes, their WebRTC threads and anything else running.',
    '',
    '## Clock check',
    '',
    clocks,
    '',
    'Every stamp is `process.hrtime` (CLOCK_MONOTONIC: one clock for the whole machine), so a stamp from the consumer minus one from ' +
      "the producer is a one-way latency. Check: the parent stamps before and after asking a child for its stamp over IPC; the child's " +
      'stamp must lie in between (count outside: 0), and the offset at the fastest round is within ± half that round trip.',
    ...(r.discarded.length > 0
      ? [
          '',
          `Measured again because other processes were busy: ${r.discarded.map((d) => `${d.what} (${pct(d.otherLoad)})`).join(', ')}.`,
        ]
      : []),
    '',
    '## Goals',
    '',
    ...r.checks.map((c) => `- ${checkLine(c)}`),
    ...(r.warnings.length > 0
      ? ['', '## Warnings from the peers', '', ...r.warnings.slice(0, 20).map((w) => `- ${w}`)]
      : []),
    '',
  ].join('\n')
}
