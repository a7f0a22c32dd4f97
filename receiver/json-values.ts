import { type AttributeMap, type AttributeValue, exactInteger } from './protobuf-values.js'

/**
 * The readers shared by the OTLP/JSON decoders (decode-json.ts). OTLP/JSON is protobuf's JSON mapping
 * with the OTLP specification's deviations: lowerCamelCase keys only, trace and span ids as hex
 * (not base64), enums as integers (names are invalid). int64 fields may come as strings (the
 * mapping's form) or as numbers (what several SDKs send); missing fields take their default and
 * unknown keys are ignored. Anything of the wrong shape throws a JsonShapeError naming where it is,
 * which the receiver answers with 400 / INVALID_ARGUMENT.
 */

export class JsonShapeError extends TypeError {
  constructor (path: string, expected: string, value: unknown) {
    super(`${path}: expected ${expected}, got ${JSON.stringify(value) ?? typeof value}`)
  }
}

export type JsonObject = Record<string, unknown>

/** A message; absent or null is the empty message. */
export function object (value: unknown, path: string): JsonObject {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new JsonShapeError(path, 'an object', value)
  return value as JsonObject
}

/** A repeated field; absent or null is empty. */
export function list (value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new JsonShapeError(path, 'an array', value)
  return value
}

/** The repeated message at `key`, each element with its path. */
export function each (parent: JsonObject, key: string, path: string): Array<[JsonObject, string]> {
  return list(parent[key], `${path}.${key}`).map((item, i) => {
    const at = `${path}.${key}[${i}]`
    return [object(item, at), at]
  })
}

export function string (value: unknown, path: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new JsonShapeError(path, 'a string', value)
  return value
}

const INTEGER = /^-?\d+$/

/** int64, uint64, fixed64: a decimal string or an integer number. */
export function int64 (value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value)
  throw new JsonShapeError(path, 'an integer (number or decimal string)', value)
}

/** uint32 fields and enums: an integer number (a decimal string is accepted for uint32, as the mapping allows). */
export function uint32 (value: unknown, path: string): number {
  const n = int64(value, path)
  if (n < 0n || n > 0xffffffffn) throw new JsonShapeError(path, 'an unsigned 32-bit integer', value)
  return Number(n)
}

/** An enum: integer values only, as the OTLP specification requires. */
export function enumValue (value: unknown, path: string): number {
  if (typeof value === 'string') {
    throw new JsonShapeError(path, 'an enum as an integer (names are not valid OTLP/JSON)', value)
  }
  return uint32(value, path)
}

/** A double: a number, or one of the mapping's strings for the special values (or a numeric string). */
export function double (value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') return value
  if (value === 'NaN') return Number.NaN
  if (value === 'Infinity') return Number.POSITIVE_INFINITY
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  throw new JsonShapeError(path, 'a number', value)
}

/** A trace id (16 bytes) or span id (8 bytes): case-insensitive hex, or empty when unset. */
export function hexId (value: unknown, bytes: 8 | 16, path: string): string {
  const text = string(value, path)
  if (text === '') return ''
  if (text.length !== bytes * 2 || !/^[0-9a-f]+$/i.test(text)) {
    throw new JsonShapeError(path, `${bytes * 2} hex digits`, value)
  }
  return text.toLowerCase()
}

/** `bytes` fields other than ids: base64 (standard or URL-safe alphabet). */
export function base64 (value: unknown, path: string): Buffer {
  const text = string(value, path)
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new JsonShapeError(path, 'base64', value)
  return Buffer.from(text, 'base64')
}

/**
 * AnyValue: exactly one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue,
 * bytesValue; undefined when none is set (an empty AnyValue).
 */
export function anyValue (value: unknown, path: string): AttributeValue | undefined {
  const v = object(value, path)
  if ('stringValue' in v) return string(v.stringValue, `${path}.stringValue`)
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean') throw new JsonShapeError(`${path}.boolValue`, 'a boolean', v.boolValue)
    return v.boolValue
  }
  if ('intValue' in v) return exactInteger(int64(v.intValue, `${path}.intValue`))
  if ('doubleValue' in v) return double(v.doubleValue, `${path}.doubleValue`) ?? 0
  if ('arrayValue' in v) {
    const array = object(v.arrayValue, `${path}.arrayValue`)
    return each(array, 'values', `${path}.arrayValue`).map(([item, at]) => anyValue(item, at) ?? '')
  }
  if ('kvlistValue' in v) {
    return keyValues(object(v.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`)
  }
  if ('bytesValue' in v) return base64(v.bytesValue, `${path}.bytesValue`)
  return undefined
}

/** repeated KeyValue { key, value: AnyValue }; an empty value reads as '' (as the protobuf decoder does). */
export function keyValues (value: unknown, path: string): AttributeMap {
  const out: AttributeMap = {}
  list(value, path).forEach((item, i) => {
    const kv = object(item, `${path}[${i}]`)
    out[string(kv.key, `${path}[${i}].key`)] = anyValue(kv.value, `${path}[${i}].value`) ?? ''
  })
  return out
}

export interface JsonScopeItems {
  scope: { name: string; version: string }
  items: Array<[JsonObject, string]>
}

/**
 * The resource of a ResourceSpans / ResourceLogs / ResourceMetrics and its scope containers (under
 * `scopesKey`), each with its items (under `itemsKey`).
 */
export function resourceAndScopes (
  resourceMessage: JsonObject,
  path: string,
  scopesKey: string,
  itemsKey: string
): { resource: AttributeMap; scopes: JsonScopeItems[] } {
  const resource = object(resourceMessage.resource, `${path}.resource`)
  return {
    resource: keyValues(resource.attributes, `${path}.resource.attributes`),
    scopes: each(resourceMessage, scopesKey, path).map(([container, at]) => {
      const scope = object(container.scope, `${at}.scope`)
      return {
        scope: { name: string(scope.name, `${at}.scope.name`), version: string(scope.version, `${at}.scope.version`) },
        items: each(container, itemsKey, at)
      }
    })
  }
}

/** Parses a request body as a JSON object (the request message). */
export function parseJsonMessage (body: Buffer): JsonObject {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new JsonShapeError('body', 'JSON', (error as Error).message)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new JsonShapeError('body', 'a JSON object', parsed)
  }
  return parsed as JsonObject
}
