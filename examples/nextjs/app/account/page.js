// Reached only through proxy.js, which has checked the cookie's token.
import { cookies } from 'next/headers'
import { tokens } from '@/lib/cable'

export default async function Account() {
  const identifiers = await tokens.verifyAndFetch((await cookies()).get('cable_token').value)
  return <p id="account">signed in as {identifiers.user_id}</p>
}
