// @anycable/serverless-js, loaded with the directory-import hook its ESM build needs under Node.
import '../../scripts/esm-dir-imports.mjs'

export const { identificator, broadcaster, Application, Channel, ConnectionHandle, ChannelHandle, Status, handler } =
  await import('@anycable/serverless-js')
