/**
 * CoRE link format (40) with LwM2M attributes: one import path for the generic syntax
 * (link-format.ts), what LwM2M says with it (link-lwm2m.ts) and Write-Attributes queries
 * (attributes.ts).
 */
export {
  DEFAULT_LINK_LIMITS,
  INTEGER_ATTRIBUTES,
  NUMBER_ATTRIBUTES,
  formatLinks,
  parseLinks,
  type Link,
  type LinkAttributeValue,
  type LinkAttributes,
  type LinkLimits,
} from './link-format.js'
export {
  formatDiscoverLinks,
  formatRegistrationLinks,
  parseDiscoverLinks,
  parseRegistrationLinks,
  type DiscoverEntry,
  type RegisteredObject,
  type RegistrationLinks,
} from './link-lwm2m.js'
export {
  InvalidAttributesError,
  WRITABLE_ATTRIBUTES,
  formatAttributes,
  parseAttributes,
  type NotificationAttributes,
  type WritableAttribute,
} from './attributes.js'
