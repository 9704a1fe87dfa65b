// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ClientStore — one record per LwM2M endpoint (bootstrap + server credentials).
/// @notice Storage keeps only what the chain must enforce: a commitment to the current record,
/// its version, endpoint uniqueness, PSK-identity uniqueness and an enumerable list. The full
/// record (with PSKs sealed to the deployment key) travels in calldata and in the events.
/// Every operation is O(1) in the number of clients; an add writes 4 fresh storage slots.
contract ClientStore is AccessControl {
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");
    uint256 public constant MAX_ENDPOINT_LENGTH = 255;

    struct ClientRecord {
        string endpoint;
        string bootstrapUri;
        string bootstrapIdentity;
        bytes bootstrapKeySealed;
        string serverUri;
        string serverIdentity;
        bytes serverKeySealed;
    }

    /// @dev `commitment` is the first 20 bytes of keccak256(abi.encode(record)), zero-padded on the
    /// right (see `_commit`); truncating it is what lets the whole entry fit one storage slot.
    struct ClientEntry {
        bytes32 commitment;
        uint64 version;
        uint64 updatedAt;
    }

    /// @dev One slot per endpoint. `index` is the 1-based position in `_endpoints` (0 = absent).
    /// The slot survives removal so that versions stay monotonic per endpoint.
    struct Slot {
        bytes20 commitment;
        uint32 version;
        uint32 updatedAt;
        uint32 index;
    }

    /// @dev Identity binding, valid only while the owner exists at exactly this version; an update
    /// or a removal bumps the version, which releases old identities without knowing them.
    struct Binding {
        bytes28 owner;
        uint32 version;
    }

    event ClientAdded(
        bytes32 indexed endpointHash,
        bytes32 indexed bootstrapIdentityHash,
        bytes32 indexed serverIdentityHash,
        uint64 version,
        ClientRecord record
    );
    event ClientUpdated(
        bytes32 indexed endpointHash,
        bytes32 indexed bootstrapIdentityHash,
        bytes32 indexed serverIdentityHash,
        uint64 version,
        ClientRecord record
    );
    event ClientRemoved(bytes32 indexed endpointHash, uint64 version);
    /// @notice The key PSKs are sealed to changed (`lwchain keys rotate`); records sealed to the
    /// previous key are re-sealed after it, so readers must hold both keys until that is done.
    event SealingKeyChanged(bytes publicKey);

    error ClientExists(bytes32 endpointHash);
    error ClientNotFound(bytes32 endpointHash);
    error IdentityTaken(bytes32 identityHash);
    error InvalidRecord(string reason);
    error VersionMismatch(bytes32 endpointHash, uint64 expected, uint64 actual);

    bytes private _sealingPublicKey;
    mapping(bytes28 => Slot) private _slots;
    mapping(bytes32 => Binding) private _identities;
    bytes32[] private _endpoints;

    constructor(bytes memory sealingPublicKey_) {
        if (sealingPublicKey_.length != 32) revert InvalidRecord("sealing public key must be 32 bytes");
        _sealingPublicKey = sealingPublicKey_;
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(WRITER_ROLE, msg.sender);
    }

    /// @notice X25519 public key that PSKs in records are sealed to.
    function sealingPublicKey() external view returns (bytes memory) {
        return _sealingPublicKey;
    }

    /// @notice Replaces the sealing public key (admin only): new records are sealed to it.
    function setSealingPublicKey(bytes calldata sealingPublicKey_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (sealingPublicKey_.length != 32) revert InvalidRecord("sealing public key must be 32 bytes");
        _sealingPublicKey = sealingPublicKey_;
        emit SealingKeyChanged(sealingPublicKey_);
    }

    /// @notice Adds one client; reverts if the endpoint or either PSK identity is taken.
    function addClient(ClientRecord calldata r) external onlyRole(WRITER_ROLE) {
        _add(r);
    }

    /// @notice Adds many clients atomically (all or none).
    function addClients(ClientRecord[] calldata rs) external onlyRole(WRITER_ROLE) {
        for (uint256 i = 0; i < rs.length; ++i) _add(rs[i]);
    }

    /// @notice Replaces an existing client's record (new URIs, identities or keys); version++.
    function updateClient(ClientRecord calldata r) external onlyRole(WRITER_ROLE) {
        _update(r, 0);
    }

    /// @notice Replaces many records atomically (all or none), each only if it is still at
    /// `versions[i]` (else VersionMismatch), so a re-seal after a key rotation never undoes a
    /// change written meanwhile.
    function updateClients(ClientRecord[] calldata rs, uint64[] calldata versions) external onlyRole(WRITER_ROLE) {
        if (versions.length != rs.length) revert InvalidRecord("one version per record");
        for (uint256 i = 0; i < rs.length; ++i) _update(rs[i], versions[i]);
    }

    /// @notice Removes a client (swap-and-pop); its identities become free at once.
    function removeClient(string calldata endpoint) external onlyRole(WRITER_ROLE) {
        bytes32 eh = keccak256(bytes(endpoint));
        bytes28 key = bytes28(eh);
        Slot memory s = _slots[key];
        if (s.index == 0) revert ClientNotFound(eh);
        uint256 last = _endpoints.length - 1;
        if (s.index - 1 != last) {
            bytes32 moved = _endpoints[last];
            _endpoints[s.index - 1] = moved;
            _slots[bytes28(moved)].index = s.index;
        }
        _endpoints.pop();
        uint32 version = s.version + 1;
        _slots[key] = Slot(bytes20(0), version, uint32(block.timestamp), 0);
        emit ClientRemoved(eh, version);
    }

    /// @notice Current entry of an endpoint; reverts ClientNotFound.
    function getClient(bytes32 endpointHash) external view returns (ClientEntry memory) {
        Slot memory s = _live(endpointHash);
        return ClientEntry(bytes32(s.commitment), s.version, s.updatedAt);
    }

    /// @notice Endpoint currently bound to a PSK identity (bootstrap or server); reverts ClientNotFound.
    function endpointOfIdentity(bytes32 identityHash) external view returns (bytes32 endpointHash) {
        Binding memory b = _identities[identityHash];
        Slot memory s = _slots[b.owner];
        if (b.owner == bytes28(0) || s.index == 0 || s.version != b.version) revert ClientNotFound(identityHash);
        return _endpoints[s.index - 1];
    }

    /// @notice True when `r` is exactly the endpoint's current record.
    function isCurrent(ClientRecord calldata r) external view returns (bool) {
        bytes32 eh = keccak256(bytes(r.endpoint));
        Slot memory s = _slots[bytes28(eh)];
        return s.index != 0 && _endpoints[s.index - 1] == eh && s.commitment == _commit(r);
    }

    /// @notice Number of clients.
    function clientCount() external view returns (uint256) {
        return _endpoints.length;
    }

    /// @notice Endpoint hashes in list order, `limit` at most from `offset` (order changes on removal).
    function listClients(uint256 offset, uint256 limit) external view returns (bytes32[] memory endpointHashes) {
        uint256 n = _endpoints.length;
        if (offset >= n) return new bytes32[](0);
        if (limit > n - offset) limit = n - offset;
        endpointHashes = new bytes32[](limit);
        for (uint256 i = 0; i < limit; ++i) endpointHashes[i] = _endpoints[offset + i];
    }

    function _add(ClientRecord calldata r) private {
        _validate(r);
        bytes32 eh = keccak256(bytes(r.endpoint));
        bytes28 key = bytes28(eh);
        Slot memory s = _slots[key];
        if (s.index != 0) revert ClientExists(eh);
        uint32 version = s.version + 1;
        (bytes32 bh, bytes32 sh) = _bind(r, key, version);
        _endpoints.push(eh);
        bytes20 commitment = _emitRecord(ClientAdded.selector, eh, bh, sh, version, r);
        _slots[key] = Slot(commitment, version, uint32(block.timestamp), uint32(_endpoints.length));
    }

    /// @dev `expected` 0 means any version.
    function _update(ClientRecord calldata r, uint64 expected) private {
        _validate(r);
        bytes32 eh = keccak256(bytes(r.endpoint));
        bytes28 key = bytes28(eh);
        Slot memory s = _slots[key];
        if (s.index == 0) revert ClientNotFound(eh);
        if (expected != 0 && expected != s.version) revert VersionMismatch(eh, expected, s.version);
        uint32 version = s.version + 1;
        (bytes32 bh, bytes32 sh) = _bind(r, key, version);
        bytes20 commitment = _emitRecord(ClientUpdated.selector, eh, bh, sh, version, r);
        _slots[key] = Slot(commitment, version, uint32(block.timestamp), s.index);
    }

    /// @dev Claims both identities for `key` at `version`; an identity still bound to another live
    /// client is taken. A client may use one identity for both servers.
    function _bind(ClientRecord calldata r, bytes28 key, uint32 version) private returns (bytes32 bh, bytes32 sh) {
        bh = keccak256(bytes(r.bootstrapIdentity));
        sh = keccak256(bytes(r.serverIdentity));
        _claim(bh, key, version);
        if (sh != bh) _claim(sh, key, version);
    }

    function _claim(bytes32 identityHash, bytes28 key, uint32 version) private {
        Binding memory b = _identities[identityHash];
        if (b.owner != bytes28(0) && b.owner != key) {
            Slot memory o = _slots[b.owner];
            if (o.index != 0 && o.version == b.version) revert IdentityTaken(identityHash);
        }
        _identities[identityHash] = Binding(key, version);
    }

    function _live(bytes32 eh) private view returns (Slot memory s) {
        s = _slots[bytes28(eh)];
        if (s.index == 0 || _endpoints[s.index - 1] != eh) revert ClientNotFound(eh);
    }

    function _validate(ClientRecord calldata r) private pure {
        uint256 len = bytes(r.endpoint).length;
        if (len == 0) revert InvalidRecord("empty endpoint");
        if (len > MAX_ENDPOINT_LENGTH) revert InvalidRecord("endpoint longer than 255 bytes");
        if (bytes(r.bootstrapIdentity).length == 0) revert InvalidRecord("empty bootstrap identity");
        if (bytes(r.serverIdentity).length == 0) revert InvalidRecord("empty server identity");
        if (r.bootstrapKeySealed.length == 0) revert InvalidRecord("empty sealed bootstrap key");
        if (r.serverKeySealed.length == 0) revert InvalidRecord("empty sealed server key");
    }

    /// @dev Emits ClientAdded/ClientUpdated(eh, bh, sh, version, r) and returns the record's
    /// commitment from the same encoding: abi.encode(version, r) holds abi.encode(r)'s tuple at
    /// 0x40, so hashing [0x20 | tuple] gives keccak256(abi.encode(r)) without encoding r twice
    /// (the second encoding cost ~3k gas per add).
    function _emitRecord(bytes32 sig, bytes32 eh, bytes32 bh, bytes32 sh, uint32 version, ClientRecord calldata r)
        private
        returns (bytes20)
    {
        bytes memory data = abi.encode(uint64(version), r);
        bytes32 hash;
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            let len := mload(data)
            mstore(add(p, 0x20), 0x20)
            hash := keccak256(add(p, 0x20), sub(len, 0x20))
            mstore(add(p, 0x20), 0x40)
            log4(p, len, sig, eh, bh, sh)
        }
        return bytes20(hash);
    }

    function _commit(ClientRecord calldata r) private pure returns (bytes20) {
        return bytes20(keccak256(abi.encode(r)));
    }
}
