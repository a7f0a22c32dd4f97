import autocannon from 'autocannon'
const [url, amount, headers = '{}'] = process.argv.slice(2)
const r = await autocannon({ url, connections: 10, amount: Number(amount), headers: JSON.parse(headers), timeout: 120 })
console.log(JSON.stringify({ total: r.requests.total, non2xx: r.non2xx, errors: r.errors }))
