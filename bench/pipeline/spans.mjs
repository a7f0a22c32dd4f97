// A typical server span, as the plugin makes them: 12 attributes of the HTTP semantic conventions.
import { SpanKind } from '@opentelemetry/api'

let n = 0
export function makeServerSpan (tracer) {
  n++
  const span = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'url.path': `/orders/${n}`,
      'url.scheme': 'http',
      'url.query': 'expand=items',
      'http.route': '/orders/:id',
      'server.address': 'payments.internal',
      'server.port': 8080,
      'client.address': '10.1.2.3',
      'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/121.0',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200
    }
  })
  span.setAttribute('order.id', `ord-${n}`)
  span.end()
}
