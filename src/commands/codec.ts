import type { Command } from 'commander'
import { action } from './action.js'
import { globalOptions } from './globals.js'
import { loadModels } from './lib/modelDirectory.js'
import { decodeCommand } from './codec/decode.js'
import { encodeCommand } from './codec/encode.js'
import { FORMAT_LIST, readStdin } from './codec/format.js'

const DECODE_EXAMPLES = `
Formats: ${FORMAT_LIST.join(', ')}

Examples:
  $ lwchain decode tlv C800144F70656E204D6F62696C6520416C6C69616E6365 --path /3/0
  $ lwchain decode senml-json 5b7b226e223a222f332f302f30222c227673223a2241636d65227d5d --json
  $ lwchain decode senml-cbor 81a221662f302f302f330843abcdef --path /0/0/3
  $ xxd -p capture.bin | lwchain decode lwm2m-json - --path /3/0 --json
  $ lwchain decode tlv - --raw --path /3/0 < capture.bin
`

const ENCODE_EXAMPLES = `
Formats: ${FORMAT_LIST.join(', ')}

Examples:
  $ lwchain encode senml-json '{"/3/0/0":"Acme","/3/0/9":95}'
  $ lwchain encode tlv '{"/3/0/6/0":1,"/3/0/6/1":5}' --path /3/0
  $ lwchain encode text '{"/3/0/13":1367491215}'
  $ lwchain decode tlv <hex> --path /3/0 --json | lwchain encode senml-cbor - --path /3/0
`

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

interface DecodeFlags {
  path?: string
  modelDir?: string[]
  raw?: boolean
}

/** Registers `decode` and `encode`, the codec tools for operators debugging captures. */
export function registerCodecCommands(program: Command): void {
  program
    .command('decode')
    .description('decode an LwM2M payload (hex, or - for stdin) and print its values')
    .argument('<format>', `content format: ${FORMAT_LIST.join(', ')}`)
    .argument('<input>', 'payload as hex (spaces, colons, 0x allowed), or - to read stdin')
    .option('--path <path>', 'request path the payload answers, e.g. /3/0 (needed by tlv, text, opaque)')
    .option('--model-dir <dir>', 'extra directory of OMA DDF object models (XML); repeatable', collect, [])
    .option('--raw', 'with -, read stdin as binary instead of hex text', false)
    .addHelpText('after', DECODE_EXAMPLES)
    .action(
      action(async (format: string, input: string, flags: DecodeFlags, cmd: Command) => {
        const g = globalOptions(cmd)
        const models = await loadModels({ modelDirs: flags.modelDir?.length ? flags.modelDir : undefined })
        let payload: string | Uint8Array = input
        if (input === '-') {
          const stdin = await readStdin()
          payload = flags.raw ? stdin : new TextDecoder().decode(stdin)
        }
        console.log(decodeCommand(format, payload, { path: flags.path, json: g.json, models }))
      }),
    )

  program
    .command('encode')
    .description('encode a JSON object of resource paths to values (or - for stdin) and print the payload as hex')
    .argument('<format>', `content format: ${FORMAT_LIST.join(', ')}`)
    .argument('<input>', 'JSON like {"/3/0/0":"Acme"} (the output of decode --json), or - to read stdin')
    .option('--path <path>', 'request path to encode at (default: the instance or object all keys share)')
    .option('--model-dir <dir>', 'extra directory of OMA DDF object models (XML); repeatable', collect, [])
    .addHelpText('after', ENCODE_EXAMPLES)
    .action(
      action(async (format: string, input: string, flags: DecodeFlags, cmd: Command) => {
        const g = globalOptions(cmd)
        const models = await loadModels({ modelDirs: flags.modelDir?.length ? flags.modelDir : undefined })
        const text = input === '-' ? new TextDecoder().decode(await readStdin()) : input
        const result = encodeCommand(format, text, { path: flags.path, models })
        console.log(g.json ? JSON.stringify({ format, path: result.path, hex: result.hex }) : result.hex)
      }),
    )
}
