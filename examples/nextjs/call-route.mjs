// Calls the route handler the way Next.js does, with a web Request, and prints its JSON:
//   ANYCABLE_SECRET=dev-secret node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON examples/nextjs/call-route.mjs 42 lobby
import { GET } from './app/api/cable-token/route.js'

const [user = '42', room = 'lobby'] = process.argv.slice(2)
const response = await GET(new Request(`http://localhost/api/cable-token?user=${user}&room=${room}`))
console.log(response.status, JSON.stringify(await response.json()))
