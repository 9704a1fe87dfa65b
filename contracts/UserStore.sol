// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title UserStore — operator, user and application accounts.
/// @notice Storage keeps a commitment to each account's record, its role and version, e-mail-hash
/// uniqueness (the login "wildcard"), an enumerable list and the number of admin accounts, so the
/// last admin can be neither removed nor demoted. The e-mail and the password verifier are sealed
/// to the deployment key and travel only in calldata and events; the e-mail hash is keyed
/// (HMAC-SHA256 under a per-deployment secret), so it cannot be recomputed from an address.
/// All operations O(1).
contract UserStore is AccessControl {
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");
    uint256 public constant MAX_USERNAME_LENGTH = 255;
    uint8 public constant ROLE_ADMIN = 1;
    uint8 public constant ROLE_USER = 2;
    uint8 public constant ROLE_APPLICATION = 3;

    struct UserRecord {
        string username;
        uint8 role;
        bytes32 emailHash;
        bytes emailSealed;
        bytes passwordSealed;
    }

    /// @dev `commitment` is the first 20 bytes of keccak256(abi.encode(record)), zero-padded.
    struct UserEntry {
        bytes32 commitment;
        uint8 role;
        uint64 version;
        uint64 updatedAt;
    }

    /// @dev One slot per username; `index` is the 1-based list position (0 = absent). Survives
    /// removal so that versions stay monotonic per username.
    struct Slot {
        bytes20 commitment;
        uint32 version;
        uint32 updatedAt;
        uint8 role;
        uint24 index;
    }

    /// @dev E-mail binding, valid only while the owner exists at exactly this version.
    struct Binding {
        bytes28 owner;
        uint32 version;
    }

    event UserAdded(bytes32 indexed usernameHash, bytes32 indexed emailHash, uint64 version, UserRecord record);
    event UserUpdated(bytes32 indexed usernameHash, bytes32 indexed emailHash, uint64 version, UserRecord record);
    event UserRemoved(bytes32 indexed usernameHash, uint64 version);
    /// @notice The key e-mails and verifiers are sealed to changed (`lwchain keys rotate`).
    event SealingKeyChanged(bytes publicKey);

    error UserExists(bytes32 usernameHash);
    error UserNotFound(bytes32 hash);
    error EmailTaken(bytes32 emailHash);
    error InvalidRole(uint8 role);
    error InvalidRecord(string reason);
    /// @notice Refused: the change would leave no admin account.
    error LastAdmin(bytes32 usernameHash);
    error VersionMismatch(bytes32 usernameHash, uint64 expected, uint64 actual);

    bytes private _sealingPublicKey;
    mapping(bytes28 => Slot) private _slots;
    mapping(bytes32 => Binding) private _emails;
    bytes32[] private _users;
    uint256 private _adminCount;

    constructor(bytes memory sealingPublicKey_) {
        if (sealingPublicKey_.length != 32) revert InvalidRecord("sealing public key must be 32 bytes");
        _sealingPublicKey = sealingPublicKey_;
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(WRITER_ROLE, msg.sender);
    }

    /// @notice X25519 public key that e-mails and password verifiers are sealed to.
    function sealingPublicKey() external view returns (bytes memory) {
        return _sealingPublicKey;
    }

    /// @notice Replaces the sealing public key (admin only): new records are sealed to it.
    function setSealingPublicKey(bytes calldata sealingPublicKey_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (sealingPublicKey_.length != 32) revert InvalidRecord("sealing public key must be 32 bytes");
        _sealingPublicKey = sealingPublicKey_;
        emit SealingKeyChanged(sealingPublicKey_);
    }

    /// @notice Number of accounts with the admin role.
    function adminCount() external view returns (uint256) {
        return _adminCount;
    }

    /// @notice Adds an account; reverts if the username or the e-mail hash is taken.
    function addUser(UserRecord calldata r) external onlyRole(WRITER_ROLE) {
        _validate(r);
        bytes32 uh = keccak256(bytes(r.username));
        bytes28 key = bytes28(uh);
        Slot memory s = _slots[key];
        if (s.index != 0) revert UserExists(uh);
        if (_users.length >= type(uint24).max) revert InvalidRecord("user store is full");
        uint32 version = s.version + 1;
        _claim(r.emailHash, key, version);
        _users.push(uh);
        if (r.role == ROLE_ADMIN) ++_adminCount;
        _slots[key] = Slot(_commit(r), version, uint32(block.timestamp), r.role, uint24(_users.length));
        emit UserAdded(uh, r.emailHash, version, r);
    }

    /// @notice Replaces an account's record (role, e-mail, password); version++. Demoting the last
    /// admin reverts LastAdmin.
    function updateUser(UserRecord calldata r) external onlyRole(WRITER_ROLE) {
        _update(r, 0);
    }

    /// @notice Replaces many records atomically (all or none), each only if it is still at
    /// `versions[i]` (else VersionMismatch), so a re-seal after a key rotation never undoes a
    /// change written meanwhile.
    function updateUsers(UserRecord[] calldata rs, uint64[] calldata versions) external onlyRole(WRITER_ROLE) {
        if (versions.length != rs.length) revert InvalidRecord("one version per record");
        for (uint256 i = 0; i < rs.length; ++i) _update(rs[i], versions[i]);
    }

    /// @notice Removes an account (swap-and-pop); its e-mail becomes free at once. Removing the
    /// last admin reverts LastAdmin.
    function removeUser(string calldata username) external onlyRole(WRITER_ROLE) {
        bytes32 uh = keccak256(bytes(username));
        bytes28 key = bytes28(uh);
        Slot memory s = _slots[key];
        if (s.index == 0) revert UserNotFound(uh);
        if (s.role == ROLE_ADMIN) {
            if (_adminCount == 1) revert LastAdmin(uh);
            --_adminCount;
        }
        uint256 last = _users.length - 1;
        if (s.index - 1 != last) {
            bytes32 moved = _users[last];
            _users[s.index - 1] = moved;
            _slots[bytes28(moved)].index = s.index;
        }
        _users.pop();
        uint32 version = s.version + 1;
        _slots[key] = Slot(bytes20(0), version, uint32(block.timestamp), 0, 0);
        emit UserRemoved(uh, version);
    }

    /// @notice Current entry of an account; reverts UserNotFound.
    function getUser(bytes32 usernameHash) external view returns (UserEntry memory) {
        Slot memory s = _slots[bytes28(usernameHash)];
        if (s.index == 0 || _users[s.index - 1] != usernameHash) revert UserNotFound(usernameHash);
        return UserEntry(bytes32(s.commitment), s.role, s.version, s.updatedAt);
    }

    /// @notice Account currently bound to an e-mail hash; reverts UserNotFound(emailHash).
    function userOfEmail(bytes32 emailHash) external view returns (bytes32 usernameHash) {
        Binding memory b = _emails[emailHash];
        Slot memory s = _slots[b.owner];
        if (emailHash == bytes32(0) || b.owner == bytes28(0) || s.index == 0 || s.version != b.version) {
            revert UserNotFound(emailHash);
        }
        return _users[s.index - 1];
    }

    /// @notice True when `r` is exactly the account's current record.
    function isCurrent(UserRecord calldata r) external view returns (bool) {
        bytes32 uh = keccak256(bytes(r.username));
        Slot memory s = _slots[bytes28(uh)];
        return s.index != 0 && _users[s.index - 1] == uh && s.commitment == _commit(r);
    }

    /// @notice Number of accounts.
    function userCount() external view returns (uint256) {
        return _users.length;
    }

    /// @notice Username hashes in list order, `limit` at most from `offset` (order changes on removal).
    function listUsers(uint256 offset, uint256 limit) external view returns (bytes32[] memory usernameHashes) {
        uint256 n = _users.length;
        if (offset >= n) return new bytes32[](0);
        if (limit > n - offset) limit = n - offset;
        usernameHashes = new bytes32[](limit);
        for (uint256 i = 0; i < limit; ++i) usernameHashes[i] = _users[offset + i];
    }

    /// @dev `expected` 0 means any version.
    function _update(UserRecord calldata r, uint64 expected) private {
        _validate(r);
        bytes32 uh = keccak256(bytes(r.username));
        bytes28 key = bytes28(uh);
        Slot memory s = _slots[key];
        if (s.index == 0) revert UserNotFound(uh);
        if (expected != 0 && expected != s.version) revert VersionMismatch(uh, expected, s.version);
        if (s.role == ROLE_ADMIN && r.role != ROLE_ADMIN) {
            if (_adminCount == 1) revert LastAdmin(uh);
            --_adminCount;
        } else if (s.role != ROLE_ADMIN && r.role == ROLE_ADMIN) {
            ++_adminCount;
        }
        uint32 version = s.version + 1;
        _claim(r.emailHash, key, version);
        _slots[key] = Slot(_commit(r), version, uint32(block.timestamp), r.role, s.index);
        emit UserUpdated(uh, r.emailHash, version, r);
    }

    /// @dev Binds an e-mail hash to `key` at `version`; zero means "no e-mail" and binds nothing.
    function _claim(bytes32 emailHash, bytes28 key, uint32 version) private {
        if (emailHash == bytes32(0)) return;
        Binding memory b = _emails[emailHash];
        if (b.owner != bytes28(0) && b.owner != key) {
            Slot memory o = _slots[b.owner];
            if (o.index != 0 && o.version == b.version) revert EmailTaken(emailHash);
        }
        _emails[emailHash] = Binding(key, version);
    }

    function _validate(UserRecord calldata r) private pure {
        uint256 len = bytes(r.username).length;
        if (len == 0) revert InvalidRecord("empty username");
        if (len > MAX_USERNAME_LENGTH) revert InvalidRecord("username longer than 255 bytes");
        if (r.role < ROLE_ADMIN || r.role > ROLE_APPLICATION) revert InvalidRole(r.role);
        if (r.passwordSealed.length == 0) revert InvalidRecord("empty sealed password verifier");
        if (r.emailHash != bytes32(0) && r.emailSealed.length == 0) revert InvalidRecord("empty sealed e-mail");
    }

    function _commit(UserRecord calldata r) private pure returns (bytes20) {
        return bytes20(keccak256(abi.encode(r)));
    }
}
