/** CoAP Content-Format numbers LwM2M uses (IANA CoAP Content-Formats registry). */
export const ContentFormat = {
  TEXT: 0,
  LINK: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  TLV: 11542,
  JSON: 11543,
} as const

export type ContentFormatCode = (typeof ContentFormat)[keyof typeof ContentFormat]

/** Command-line names of the formats (`lwchain decode <format>`). */
export const FORMAT_NAMES = {
  text: ContentFormat.TEXT,
  link: ContentFormat.LINK,
  opaque: ContentFormat.OPAQUE,
  'senml-json': ContentFormat.SENML_JSON,
  'senml-cbor': ContentFormat.SENML_CBOR,
  tlv: ContentFormat.TLV,
  'lwm2m-json': ContentFormat.JSON,
} as const satisfies Record<string, ContentFormatCode>

export type FormatName = keyof typeof FORMAT_NAMES
