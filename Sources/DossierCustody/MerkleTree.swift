/// RFC 9162 §2.1 over a list of leaf hashes: the tree head MTH(D[n]) for any n (not only powers
/// of two), audit paths, consistency proofs, and their verification.
///
/// Pure functions, no I/O and no shared state: safe from any thread. Generating a proof hashes
/// every leaf of the tree once (O(n)); verifying one hashes O(log n) nodes.
public enum MerkleTree {
    /// MTH(D[n]) (§2.1.1): the empty hash for no leaf, the leaf hash for one, otherwise
    /// HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with k the largest power of two below n.
    public static func root(_ leaves: ArraySlice<TreeHash>) -> TreeHash {
        guard leaves.count > 1 else { return leaves.first ?? TreeHashing.emptyRoot }
        let middle = leaves.startIndex + split(leaves.count)
        return TreeHashing.node(root(leaves[..<middle]), root(leaves[middle...]))
    }

    /// PATH(m, D[n]) (§2.1.3.1): the sibling hashes from leaf `index` up to the root, the
    /// nearest first. Nil when `index` is not a leaf of the tree.
    public static func inclusionProof(index: Int, leaves: ArraySlice<TreeHash>) -> [TreeHash]? {
        guard index >= 0, index < leaves.count else { return nil }
        var path: [TreeHash] = []
        appendPath(index, leaves, to: &path)
        return path
    }

    private static func appendPath(_ m: Int, _ leaves: ArraySlice<TreeHash>, to path: inout [TreeHash]) {
        guard leaves.count > 1 else { return }
        let k = split(leaves.count)
        let middle = leaves.startIndex + k
        if m < k {
            appendPath(m, leaves[..<middle], to: &path)
            path.append(root(leaves[middle...]))
        } else {
            appendPath(m - k, leaves[middle...], to: &path)
            path.append(root(leaves[..<middle]))
        }
    }

    /// PROOF(m, D[n]) (§2.1.4.1): what shows that the tree of the first `oldSize` leaves is a
    /// prefix of the tree of all `leaves`. Empty when the sizes are equal; nil when `oldSize`
    /// is 0 or larger than the tree (RFC 9162 defines no proof there).
    public static func consistencyProof(oldSize: Int, leaves: ArraySlice<TreeHash>) -> [TreeHash]? {
        guard oldSize > 0, oldSize <= leaves.count else { return nil }
        var proof: [TreeHash] = []
        if oldSize < leaves.count { appendSubproof(oldSize, leaves, wholeOldTree: true, to: &proof) }
        return proof
    }

    /// SUBPROOF(m, D[n], b); `wholeOldTree` is the RFC's b: the subtree being descended still
    /// starts where the old tree does, so the verifier knows its hash already.
    private static func appendSubproof(_ m: Int, _ leaves: ArraySlice<TreeHash>, wholeOldTree: Bool, to proof: inout [TreeHash]) {
        guard m < leaves.count else {
            if !wholeOldTree { proof.append(root(leaves)) }
            return
        }
        let k = split(leaves.count)
        let middle = leaves.startIndex + k
        if m <= k {
            appendSubproof(m, leaves[..<middle], wholeOldTree: wholeOldTree, to: &proof)
            proof.append(root(leaves[middle...]))
        } else {
            appendSubproof(m - k, leaves[middle...], wholeOldTree: false, to: &proof)
            proof.append(root(leaves[..<middle]))
        }
    }

    /// Whether `proof` shows the leaf with hash `leafHash` at `index` in the tree of
    /// `treeSize` leaves whose head is `root` (§2.1.3.2). False for a path of the wrong length.
    public static func verifyInclusion(
        leafHash: TreeHash, index: UInt64, treeSize: UInt64, proof: [TreeHash], root: TreeHash
    ) -> Bool {
        guard index < treeSize else { return false }
        return rootFromPath(leafHash, index, treeSize, proof[...]) == root
    }

    /// Rebuilds the head by walking PATH's definition backwards: its last hash is the sibling
    /// at the top, so the rest is the path inside the half that holds the leaf.
    private static func rootFromPath(_ leaf: TreeHash, _ m: UInt64, _ n: UInt64, _ path: ArraySlice<TreeHash>) -> TreeHash? {
        guard n > 1 else { return path.isEmpty ? leaf : nil }
        guard let sibling = path.last else { return nil }
        let k = split(n)
        if m < k {
            return rootFromPath(leaf, m, k, path.dropLast()).map { TreeHashing.node($0, sibling) }
        }
        return rootFromPath(leaf, m - k, n - k, path.dropLast()).map { TreeHashing.node(sibling, $0) }
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with head `oldRoot` is a prefix
    /// of the tree of `newSize` leaves with head `newRoot` (§2.1.4.2). Equal sizes need an empty
    /// proof and equal heads; an old size of 0 is refused (nothing to prove).
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: TreeHash, newRoot: TreeHash, proof: [TreeHash]
    ) -> Bool {
        guard oldSize > 0, oldSize <= newSize else { return false }
        guard oldSize < newSize else { return proof.isEmpty && oldRoot == newRoot }
        guard let heads = headsFromSubproof(oldSize, newSize, proof[...], oldRoot: oldRoot, wholeOldTree: true) else {
            return false
        }
        return heads.old == oldRoot && heads.new == newRoot
    }

    /// Rebuilds both heads by walking SUBPROOF's definition backwards, as `rootFromPath` does.
    private static func headsFromSubproof(
        _ m: UInt64, _ n: UInt64, _ proof: ArraySlice<TreeHash>, oldRoot: TreeHash, wholeOldTree: Bool
    ) -> (old: TreeHash, new: TreeHash)? {
        guard m < n else {
            if wholeOldTree { return proof.isEmpty ? (oldRoot, oldRoot) : nil }
            guard proof.count == 1, let subtree = proof.first else { return nil }
            return (subtree, subtree)
        }
        guard let top = proof.last else { return nil }
        let k = split(n)
        if m <= k {
            return headsFromSubproof(m, k, proof.dropLast(), oldRoot: oldRoot, wholeOldTree: wholeOldTree)
                .map { ($0.old, TreeHashing.node($0.new, top)) }
        }
        return headsFromSubproof(m - k, n - k, proof.dropLast(), oldRoot: oldRoot, wholeOldTree: false)
            .map { (TreeHashing.node(top, $0.old), TreeHashing.node(top, $0.new)) }
    }

    /// The largest power of two strictly below `n` (n ≥ 2): where MTH splits a tree.
    private static func split<T: FixedWidthInteger>(_ n: T) -> T {
        T(1) << (T.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }
}

/// The right edge of a tree built one leaf at a time: the heads of its perfect subtrees,
/// largest (leftmost) first, one for each bit set in the size. Appending costs O(1) hashes
/// amortised and the head O(log n), so the log knows its root at every size without keeping
/// or rehashing the whole tree.
public struct MerkleFrontier: Sendable, Equatable {
    /// Leaves appended so far.
    public private(set) var size: UInt64 = 0
    private var subtrees: [TreeHash] = []

    /// An empty tree.
    public init() {}

    /// Adds the next leaf, merging the perfect subtrees it completes.
    public mutating func append(_ leafHash: TreeHash) {
        var node = leafHash
        var carry = size
        while carry & 1 == 1, let left = subtrees.popLast() {
            node = TreeHashing.node(left, node)
            carry >>= 1
        }
        subtrees.append(node)
        size += 1
    }

    /// MTH of the leaves so far: the perfect subtrees folded from the right, which is how
    /// MTH's split at the largest power of two decomposes the tree.
    public var root: TreeHash {
        guard var head = subtrees.last else { return TreeHashing.emptyRoot }
        for subtree in subtrees.dropLast().reversed() { head = TreeHashing.node(subtree, head) }
        return head
    }
}
