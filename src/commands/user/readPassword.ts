import { InvalidInputError } from '../../chain/records/validate.js'

/** Reads a password from a stream (stdin): everything up to EOF, without the final newline. */
export async function readPasswordFrom(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer))
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw new InvalidInputError('the password on stdin is not valid UTF-8')
  }
  const password = text.replace(/\r?\n$/, '')
  if (password.length === 0) throw new InvalidInputError('the password on stdin is empty')
  if (password.length > 1024) throw new InvalidInputError('the password is too long (at most 1024 characters)')
  return password
}
