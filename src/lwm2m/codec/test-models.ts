import type { ModelRegistry, ObjectModel, ResourceModel, ResourceOperations } from '../model.js'
import type { ResourceType } from '../node.js'

/**
 * A hand-built model registry for codec tests: the parts of the OMA objects the specification's
 * worked examples use (Device /3, Server /1, ACL /2, Firmware /5, Location /6), plus /1024 with
 * one single and one multiple resource of every type, so tests need no DDF loader.
 */

type Row = [id: number, name: string, type: ResourceType, multiple?: boolean, ops?: ResourceOperations]

function object(id: number, name: string, rows: Row[], multiple = false): ObjectModel {
  const resources = new Map<number, ResourceModel>()
  for (const [rid, rname, type, many = false, ops = 'R'] of rows) {
    resources.set(rid, { id: rid, name: rname, type, multiple: many, mandatory: false, operations: type === 'none' ? 'E' : ops })
  }
  return { id, name, version: '1.0', multiple, mandatory: false, resources }
}

/** Resource types with a value (every type but `none`). */
export const VALUE_TYPES: readonly ResourceType[] = [
  'string',
  'integer',
  'unsigned',
  'float',
  'boolean',
  'opaque',
  'time',
  'objlnk',
  'corelnk',
]

/** Builds a registry over a list of object models. */
export function registryOf(objects: ObjectModel[]): ModelRegistry {
  const byId = new Map(objects.map((o) => [o.id, o]))
  return {
    getObject: (id) => byId.get(id),
    getResource: (o, r) => byId.get(o)?.resources.get(r),
    objects: () => byId.values(),
  }
}

/** The test registry described above. */
export function testModels(): ModelRegistry {
  const allTypes: Row[] = VALUE_TYPES.flatMap((t, i): Row[] => [
    [i, `single ${t}`, t],
    [100 + i, `multiple ${t}`, t, true],
  ])
  return registryOf([
    object(0, 'LWM2M Security', [
      [0, 'LWM2M  Server URI', 'string'],
      [2, 'Security Mode', 'integer'],
      [3, 'Public Key or Identity', 'opaque'],
      [5, 'Secret Key', 'opaque'],
      [16, 'SMS Binding Key Secret(s)', 'unsigned'],
    ], true),
    object(1, 'LwM2M Server', [
      [0, 'Short Server ID', 'integer'],
      [1, 'Lifetime', 'integer'],
      [2, 'Default Minimum Period', 'integer'],
      [6, 'Notification Storing When Disabled or Offline', 'boolean'],
      [7, 'Binding', 'string'],
      [8, 'Registration Update Trigger', 'none'],
    ], true),
    object(2, 'LwM2M Access Control', [
      [0, 'Object ID', 'integer'],
      [1, 'Object Instance ID', 'integer'],
      [2, 'ACL', 'integer', true],
      [3, 'Access Control Owner', 'integer'],
    ], true),
    object(3, 'Device', [
      [0, 'Manufacturer', 'string'],
      [1, 'Model Number', 'string'],
      [2, 'Serial Number', 'string'],
      [3, 'Firmware Version', 'string'],
      [4, 'Reboot', 'none'],
      [6, 'Available Power Sources', 'integer', true],
      [7, 'Power Source Voltage', 'integer', true],
      [8, 'Power Source Current', 'integer', true],
      [9, 'Battery Level', 'integer'],
      [10, 'Memory Free', 'integer'],
      [11, 'Error Code', 'integer', true],
      [13, 'Current Time', 'time', false, 'RW'],
      [14, 'UTC Offset', 'string', false, 'RW'],
      [16, 'Supported Binding and Modes', 'string'],
    ]),
    object(5, 'Firmware Update', [[0, 'Package', 'opaque', false, 'W'], [1, 'Package URI', 'string', false, 'RW']]),
    object(6, 'Location', [
      [0, 'Latitude', 'float'],
      [1, 'Longitude', 'float'],
      [3, 'Radius', 'float'],
      [5, 'Timestamp', 'time'],
    ]),
    object(65, 'object link tests 65', [[0, 'res0', 'objlnk', true], [1, 'res1', 'string'], [2, 'res2', 'integer']], true),
    object(1024, 'all types', allTypes, true),
  ])
}
