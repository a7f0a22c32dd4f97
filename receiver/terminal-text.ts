/**
 * Text from an exporting process (a log body, a span name, a client's user agent recorded as an
 * attribute) made safe to print on a terminal: control characters are written as JSON writes
 * them (`\u001b`), so that no received value can move the cursor, recolour or clear the screen.
 * Line breaks are kept where the printer itself put them (`keepLineBreaks`).
 */
export function escapeControls (text: string, keepLineBreaks = false): string {
  const pattern = keepLineBreaks ? CONTROLS_BUT_LINE_BREAKS : CONTROLS
  return text.replace(pattern, (c) => JSON.stringify(c).slice(1, -1))
}

// eslint-disable-next-line no-control-regex -- control characters are what is matched
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const CONTROLS_BUT_LINE_BREAKS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g
