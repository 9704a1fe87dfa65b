// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title AnomalyStore — append-only log of critical events reported about LwM2M endpoints.
/// @notice Storage keeps, per anomaly, the endpoint hash, the hash of its data, the times and the
/// poster; the endpoint name and the data themselves are in the AnomalyPosted event. Ids start at
/// 1 and are dense, so the id list needs no storage; block time is monotonic in id, which makes
/// time-range queries a binary search.
contract AnomalyStore is AccessControl {
    bytes32 public constant POSTER_ROLE = keccak256("POSTER_ROLE");
    uint256 public constant MAX_ENDPOINT_LENGTH = 255;

    struct Anomaly {
        bytes32 endpointHash;
        bytes32 dataHash;
        uint64 collectedAt;
        uint64 blockTime;
        uint8 level;
        address poster;
    }

    event AnomalyPosted(
        uint256 indexed id,
        bytes32 indexed endpointHash,
        uint8 level,
        uint64 collectedAt,
        bytes32 dataHash,
        address poster,
        string endpoint,
        bytes data
    );

    error AnomalyNotFound(uint256 id);
    error InvalidAnomaly(string reason);

    /// @dev Index 0 holds anomaly id 1.
    Anomaly[] private _anomalies;
    mapping(bytes32 => uint256[]) private _byEndpoint;

    // Batch anchoring goes here (later issue): `anchorBatch(bytes32 merkleRoot, uint256 count, ...)`
    // records a Merkle root over many anomalies kept off chain, with its own event and id space,
    // so that high-rate reporters pay one transaction per batch; proofs are checked off chain with
    // @openzeppelin/merkle-tree (or on chain with MerkleProof.verify in a view).

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(POSTER_ROLE, msg.sender);
    }

    /// @notice Appends an anomaly and returns its id (ids start at 1).
    function postAnomaly(string calldata endpoint, uint8 level, uint64 collectedAt, bytes calldata data)
        external
        onlyRole(POSTER_ROLE)
        returns (uint256 id)
    {
        _validate(endpoint, data);
        bytes32 eh = keccak256(bytes(endpoint));
        id = _append(eh, keccak256(data), level, collectedAt);
        emit AnomalyPosted(id, eh, level, collectedAt, _anomalies[id - 1].dataHash, msg.sender, endpoint, data);
    }

    /// @notice One anomaly; reverts AnomalyNotFound.
    function getAnomaly(uint256 id) external view returns (Anomaly memory) {
        if (id == 0 || id > _anomalies.length) revert AnomalyNotFound(id);
        return _anomalies[id - 1];
    }

    /// @notice Number of anomalies (= the highest id).
    function anomalyCount() external view returns (uint256) {
        return _anomalies.length;
    }

    /// @notice Ids in posting order, `limit` at most, skipping the first `offset`.
    function listAnomalies(uint256 offset, uint256 limit) external view returns (uint256[] memory ids) {
        uint256 n = _anomalies.length;
        if (offset >= n) return new uint256[](0);
        if (limit > n - offset) limit = n - offset;
        ids = new uint256[](limit);
        for (uint256 i = 0; i < limit; ++i) ids[i] = offset + i + 1;
    }

    /// @notice Ids of one endpoint's anomalies in posting order, paginated.
    function listByEndpoint(bytes32 endpointHash, uint256 offset, uint256 limit)
        external
        view
        returns (uint256[] memory ids)
    {
        uint256[] storage all = _byEndpoint[endpointHash];
        uint256 n = all.length;
        if (offset >= n) return new uint256[](0);
        if (limit > n - offset) limit = n - offset;
        ids = new uint256[](limit);
        for (uint256 i = 0; i < limit; ++i) ids[i] = all[offset + i];
    }

    /// @notice Number of anomalies of one endpoint.
    function countByEndpoint(bytes32 endpointHash) external view returns (uint256) {
        return _byEndpoint[endpointHash].length;
    }

    /// @notice Smallest id whose block time is >= `blockTime`, or anomalyCount() + 1 if none.
    /// Ids posted in [from, to] are [firstIdAtOrAfter(from), firstIdAtOrAfter(to + 1)).
    function firstIdAtOrAfter(uint64 blockTime) external view returns (uint256) {
        uint256 lo = 0;
        uint256 hi = _anomalies.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_anomalies[mid].blockTime < blockTime) lo = mid + 1;
            else hi = mid;
        }
        return lo + 1;
    }

    function _append(bytes32 eh, bytes32 dh, uint8 level, uint64 collectedAt) private returns (uint256 id) {
        _anomalies.push(Anomaly(eh, dh, collectedAt, uint64(block.timestamp), level, msg.sender));
        id = _anomalies.length;
        _byEndpoint[eh].push(id);
    }

    function _validate(string calldata endpoint, bytes calldata data) private pure {
        uint256 len = bytes(endpoint).length;
        if (len == 0) revert InvalidAnomaly("empty endpoint");
        if (len > MAX_ENDPOINT_LENGTH) revert InvalidAnomaly("endpoint longer than 255 bytes");
        if (data.length == 0) revert InvalidAnomaly("empty data");
    }
}
