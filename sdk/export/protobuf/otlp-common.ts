import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import { type ProtoWriter, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT } from './proto-writer.js'

/**
 * The messages of opentelemetry/proto/common/v1 and resource/v1 that spans and log records share:
 * AnyValue, KeyValue, InstrumentationScope, Resource. Values are written as upstream's serializer
 * (otlp-transformer 0.301) writes them, so that a collector reads the same data whichever of the
 * two encoded it; test/contract/otlp-encoder-contract.test.mjs decodes both and compares.
 */

const INT64_MIN = -(2 ** 63)
const INT64_MAX = 2 ** 63

/** Every own enumerable key of `attributes` as a repeated KeyValue in field `field`. */
export function writeAttributes (writer: ProtoWriter, field: number, attributes: object): void {
  const keyByte = (field << 3) | WIRE_LENGTH
  for (const name in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, name)) continue
    const raw = (attributes as Record<string, unknown>)[name]
    if (typeof raw === 'string' && writer.asciiPair(keyByte, name, raw)) continue
    writer.key(field, WIRE_LENGTH)
    const pair = writer.begin()
    writer.key(1, WIRE_LENGTH)
    writer.string(name)
    writer.key(2, WIRE_LENGTH)
    const value = writer.begin()
    writeAnyValue(writer, raw)
    writer.end(value)
    writer.end(pair)
  }
}

/**
 * The fields of one AnyValue. A whole number within int64 is an int, any other number a double;
 * bytes, lists and maps nest; null and undefined leave the value empty (upstream does the same).
 */
export function writeAnyValue (writer: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.key(1, WIRE_LENGTH)
      writer.string(value)
      return
    case 'boolean':
      writer.key(2, WIRE_VARINT)
      writer.uint32(value ? 1 : 0)
      return
    case 'number':
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        writer.key(3, WIRE_VARINT)
        writer.int64(value)
      } else {
        writer.key(4, WIRE_FIXED64)
        writer.double(value)
      }
      return
    case 'object':
      if (value === null) return
      if (value instanceof Uint8Array) {
        writer.key(7, WIRE_LENGTH)
        writer.bytes(value)
      } else if (Array.isArray(value)) {
        writer.key(5, WIRE_LENGTH)
        const list = writer.begin()
        for (const item of value) {
          writer.key(1, WIRE_LENGTH)
          const element = writer.begin()
          writeAnyValue(writer, item)
          writer.end(element)
        }
        writer.end(list)
      } else {
        writer.key(6, WIRE_LENGTH)
        const map = writer.begin()
        writeAttributes(writer, 1, value)
        writer.end(map)
      }
  }
}

/** An InstrumentationScope message in field `field`. */
export function writeScope (writer: ProtoWriter, field: number, scope: InstrumentationScope): void {
  writer.key(field, WIRE_LENGTH)
  const start = writer.begin()
  writer.key(1, WIRE_LENGTH)
  writer.string(scope.name)
  if (scope.version) {
    writer.key(2, WIRE_LENGTH)
    writer.string(scope.version)
  }
  const { attributes, droppedAttributesCount } = scope as ScopeWithAttributes
  if (attributes) writeAttributes(writer, 3, attributes)
  if (droppedAttributesCount) {
    writer.key(4, WIRE_VARINT)
    writer.uint32(droppedAttributesCount)
  }
  writer.end(start)
}

/** A Resource message in field `field`. */
export function writeResource (writer: ProtoWriter, field: number, resource: Resource): void {
  writer.key(field, WIRE_LENGTH)
  const start = writer.begin()
  const attributes = resource.attributes
  if (attributes) writeAttributes(writer, 1, attributes)
  writer.key(2, WIRE_VARINT)
  writer.uint32(0)
  writer.end(start)
}

/** Scopes may carry attributes (SDK 3's InstrumentationScope has none yet, the proto does). */
interface ScopeWithAttributes {
  attributes?: object
  droppedAttributesCount?: number
}
