// Which builds' TokenError classes a refusal is an instance of, for token-error-class.test.mjs,
// which calls these in its own process and in one started with other export conditions.

const SECRET = 'token-error-class-secret'
const FORGED = 'eyJhbGciOiJIUzI1NiJ9.eyJleHQiOiJ7fSJ9.c2lnbmF0dXJl'

/** `'native'` for the build with the cable server, else `'edge'`, by name. */
export function kinds(builds) {
  return Object.fromEntries(Object.entries(builds).map(([name, build]) => [name, typeof build.createCableServer === 'function' ? 'native' : 'edge']))
}

/** The error `build.verifyToken` throws for a forged token. */
function refusal(name, build) {
  try {
    build.verifyToken(FORGED, { secret: SECRET })
  } catch (error) {
    return error
  }
  throw new Error(`${name} accepted a forged token`)
}

/** For each build's refusal, by name: the names of the builds whose TokenError it is an instance of. */
export function instanceOf(builds) {
  const names = Object.keys(builds)
  return Object.fromEntries(names.map(name => {
    const error = refusal(name, builds[name])
    return [name, names.filter(other => error instanceof builds[other].TokenError)]
  }))
}
