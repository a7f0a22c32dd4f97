import type { Context } from '@opentelemetry/api'
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs'
import type { RecordBatch } from '../protocol/relayed-logs.js'
import { TASK_RELAY, type TaskRelay } from './relay-processor.js'

/**
 * Log records made in a task (through the OpenTelemetry Logs API, or a logger that writes there)
 * come home with the task's reply, like its spans, and the main thread emits them into its own
 * LoggerProvider: one exporter, the service's resource, nothing lost when Piscina freezes or
 * terminates the worker between tasks.
 *
 * A record finds its task through the context it is emitted in. One written after its task
 * replied waits for this worker's next reply that carries spans. One written outside any recorded
 * task (an unsampled caller's, whose reply travels untouched) has no way home and is not kept.
 * Late records are bounded like late spans (relay-processor.ts): past MAX_LATE_RECORDS one is
 * not kept, so a task's timer that logs forever cannot grow the worker's memory.
 */
export const MAX_LATE_RECORDS = 2048
export const lateRecords: RecordBatch = { fields: [], count: 0 }

export function clearLateRecords (): void {
  lateRecords.fields.length = 0
  lateRecords.count = 0
}

export class RelayLogProcessor implements LogRecordProcessor {
  onEmit (record: ReadWriteLogRecord, context?: Context): void {
    const relay = context?.getValue(TASK_RELAY) as TaskRelay | undefined
    if (relay === undefined) return
    if (relay.open) encodeRecord((relay.records ??= { fields: [], count: 0 }), record)
    else if (lateRecords.count < MAX_LATE_RECORDS) encodeRecord(lateRecords, record)
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}

function encodeRecord (batch: RecordBatch, record: ReadWriteLogRecord): void {
  const span = record.spanContext
  const scope = record.instrumentationScope
  batch.fields.push(
    record.hrTime[0],
    record.hrTime[1],
    record.hrTimeObserved[0],
    record.hrTimeObserved[1],
    record.severityNumber ?? 0,
    record.severityText ?? '',
    record.body,
    record.eventName ?? '',
    span?.traceId ?? '',
    span?.spanId ?? '',
    span?.traceFlags ?? 0,
    record.droppedAttributesCount,
    scope.name,
    scope.version ?? '',
    scope.schemaUrl ?? '',
    record.attributes
  )
  batch.count++
}
