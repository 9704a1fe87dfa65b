// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnomalyStore — Merkle-anchored batches of critical events reported about LwM2M endpoints.
/// @notice A poster collects anomalies off chain and anchors them in batches: one transaction per
/// batch stores the Merkle root (OpenZeppelin StandardMerkleTree convention) and the record count,
/// and announces the records themselves in the BatchAnchored event, so that an indexer rebuilds
/// every record from logs and anyone can prove a record's inclusion against the stored root.
/// Leaf values: (string id, string endpoint, uint8 level, uint64 collectedAt, bytes32 dataHash),
/// with dataHash = keccak256(data). The records are
/// `abi.encode((string id, string endpoint, uint8 level, uint64 collectedAt, bytes data)[])`.
/// The contract does not decode them (that would cost more than the batch itself); an indexer
/// checks that they rebuild the root and ignores a batch whose records do not. `verifyRecord` takes
/// the record itself and hashes its leaf on chain.
contract AnomalyStore is AccessControl {
    bytes32 public constant POSTER_ROLE = keccak256("POSTER_ROLE");
    uint256 public constant MAX_BATCH = 10_000;

    /// @dev Two slots: the root, and poster + count + block time packed in one.
    struct Batch {
        bytes32 root;
        address poster;
        uint32 count;
        uint64 blockTime;
    }

    event BatchAnchored(
        uint256 indexed batchId, bytes32 root, uint32 count, uint64 blockTime, address indexed poster, bytes records
    );

    error BatchNotFound(uint256 batchId);
    error InvalidAnomaly(string reason);

    /// @notice One anchored record as BatchAnchored carries it (`data` is its canonical JSON).
    struct AnomalyRecord {
        string id;
        string endpoint;
        uint8 level;
        uint64 collectedAt;
        bytes data;
    }

    /// @dev Index 0 holds batch id 1.
    Batch[] private _batches;

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(POSTER_ROLE, msg.sender);
    }

    /// @notice Anchors a batch of `count` records under Merkle root `root`; returns its id (from 1).
    function anchorBatch(bytes32 root, uint32 count, bytes calldata records)
        external
        onlyRole(POSTER_ROLE)
        returns (uint256 batchId)
    {
        if (root == bytes32(0)) revert InvalidAnomaly("empty root");
        if (count == 0) revert InvalidAnomaly("empty batch");
        if (count > MAX_BATCH) revert InvalidAnomaly("batch larger than 10000 records");
        if (records.length == 0) revert InvalidAnomaly("no records");
        _batches.push(Batch(root, msg.sender, count, uint64(block.timestamp)));
        batchId = _batches.length;
        emit BatchAnchored(batchId, root, count, uint64(block.timestamp), msg.sender, records);
    }

    /// @notice A batch's root, count, poster and block time; reverts BatchNotFound.
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batch(batchId);
    }

    /// @notice The Merkle root of batch `batchId`; reverts BatchNotFound.
    function batchRoot(uint256 batchId) external view returns (bytes32) {
        return _batch(batchId).root;
    }

    /// @notice Number of batches (= the highest batch id).
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice Whether record `r` is in batch `batchId`. The leaf is computed here from the record's
    /// fields (StandardMerkleTree: keccak256(bytes.concat(keccak256(abi.encode(values))))), never
    /// taken from the caller: an interior node, whose preimage is two hashes, cannot be passed off
    /// as a record with a shorter proof.
    function verifyRecord(uint256 batchId, AnomalyRecord calldata r, bytes32[] calldata proof) external view returns (bool) {
        return MerkleProof.verifyCalldata(proof, _batch(batchId).root, leafOf(r));
    }

    /// @notice The leaf hash of a record, as the batch's tree holds it.
    function leafOf(AnomalyRecord calldata r) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(r.id, r.endpoint, r.level, r.collectedAt, keccak256(r.data)))));
    }

    function _batch(uint256 batchId) private view returns (Batch storage) {
        if (batchId == 0 || batchId > _batches.length) revert BatchNotFound(batchId);
        return _batches[batchId - 1];
    }
}
