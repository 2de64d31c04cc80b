import DossierArchive
import DossierCustody
import Testing

/// The leaves and tree heads of the RFC 6962 reference tests (certificate-transparency's
/// merkle_tree_test), which RFC 9162 hashing keeps.
private let vectorLeaves = [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
].map(RFC9162.bytes)
private let vectorRoots = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

/// Distinct leaf inputs of 1 to 5 bytes.
private func data(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in [UInt8(i)] + (0..<(i % 5)).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) } }
}

private func hashes(_ d: [[UInt8]]) -> [TreeHash] { d.map(TreeHashing.leaf) }

@Test func rootsMatchTheReferenceVectorsAtEverySize() {
    var frontier = MerkleFrontier()
    for size in 0...vectorLeaves.count {
        let expected = vectorRoots[size]
        #expect(MerkleTree.root(hashes(vectorLeaves)[..<size]).hex == expected, "size \(size)")
        #expect(frontier.root.hex == expected, "frontier, size \(size)")
        #expect(RFC9162.mth(vectorLeaves[..<size]).hexString == expected, "the reference, size \(size)")
        if size < vectorLeaves.count { frontier.append(TreeHashing.leaf(vectorLeaves[size])) }
    }
}

@Test func proofsMatchTheReferenceVectors() throws {
    let leaves = hashes(vectorLeaves)[...]
    let inclusion: [(index: Int, size: Int, path: [String])] = [
        (
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1, 5,
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        ),
    ]
    for vector in inclusion {
        let path = try #require(MerkleTree.inclusionProof(index: vector.index, leaves: leaves[..<vector.size]))
        #expect(path.map(\.hex) == vector.path)
    }
    let consistency: [(old: Int, new: Int, proof: [String])] = [
        (1, 1, []),
        (
            1, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        ),
    ]
    for vector in consistency {
        let proof = try #require(MerkleTree.consistencyProof(oldSize: vector.old, leaves: leaves[..<vector.new]))
        #expect(proof.map(\.hex) == vector.proof)
    }
}

/// Every leaf of every tree up to 70 leaves: the module's audit path is the RFC's PATH, the
/// RFC's verification accepts it, the module's verifier agrees, and both refuse it for another
/// leaf, another index or a changed sibling.
@Test func everyInclusionProofChecksOutAgainstTheReference() throws {
    for size in 1...70 {
        let d = data(size)
        let leaves = hashes(d)[...]
        let root = MerkleTree.root(leaves)
        #expect(root.bytes == RFC9162.mth(d[...]), "root of \(size)")
        for index in 0..<size {
            let path = try #require(MerkleTree.inclusionProof(index: index, leaves: leaves))
            let raw = path.map(\.bytes)
            #expect(raw == RFC9162.path(index, d[...]), "path \(index) of \(size)")
            let leaf = leaves[index]
            #expect(
                RFC9162.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), hash: leaf.bytes, path: raw, root: root.bytes))
            #expect(MerkleTree.verifyInclusion(leafHash: leaf, index: UInt64(index), treeSize: UInt64(size), proof: path, root: root))

            let other = TreeHashing.leaf([0xFF] + d[index])
            #expect(!MerkleTree.verifyInclusion(leafHash: other, index: UInt64(index), treeSize: UInt64(size), proof: path, root: root))
            if size > 1 {
                let wrongIndex = UInt64((index + 1) % size)
                #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: wrongIndex, treeSize: UInt64(size), proof: path, root: root))
                var changed = path
                changed[index % path.count] = other
                #expect(
                    !MerkleTree.verifyInclusion(leafHash: leaf, index: UInt64(index), treeSize: UInt64(size), proof: changed, root: root))
                #expect(
                    !RFC9162.verifyInclusion(
                        leafIndex: UInt64(index), treeSize: UInt64(size), hash: leaf.bytes,
                        path: changed.map(\.bytes), root: root.bytes))
            }
        }
    }
}

/// Every pair of sizes 1 ≤ m ≤ n ≤ 40: the module's proof is the RFC's PROOF, the RFC's
/// verification accepts it, the module's verifier agrees, and both refuse a changed old root.
@Test func everyConsistencyProofChecksOutAgainstTheReference() throws {
    let d = data(40)
    let leaves = hashes(d)[...]
    let roots = (0...40).map { MerkleTree.root(leaves[..<$0]) }
    for new in 1...40 {
        for old in 1...new {
            let proof = try #require(MerkleTree.consistencyProof(oldSize: old, leaves: leaves[..<new]))
            let raw = proof.map(\.bytes)
            #expect(
                MerkleTree.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(new), oldRoot: roots[old], newRoot: roots[new], proof: proof),
                "\(old) → \(new)")
            let forged = TreeHashing.leaf([1, 2, 3])
            #expect(
                !MerkleTree.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(new), oldRoot: forged, newRoot: roots[new], proof: proof))
            guard old < new else {
                #expect(proof.isEmpty)
                continue
            }
            #expect(raw == RFC9162.proof(old, d[..<new]), "proof \(old) → \(new)")
            #expect(
                RFC9162.verifyConsistency(
                    first: UInt64(old), second: UInt64(new), firstHash: roots[old].bytes,
                    secondHash: roots[new].bytes, path: raw))
            #expect(
                !RFC9162.verifyConsistency(
                    first: UInt64(old), second: UInt64(new), firstHash: forged.bytes,
                    secondHash: roots[new].bytes, path: raw))
            #expect(
                !MerkleTree.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(new), oldRoot: roots[old], newRoot: forged, proof: proof))
        }
    }
}

@Test func verifiersRefuseProofsOfTheWrongShape() throws {
    let leaves = hashes(data(11))[...]
    let root = MerkleTree.root(leaves)
    let path = try #require(MerkleTree.inclusionProof(index: 4, leaves: leaves))
    #expect(!MerkleTree.verifyInclusion(leafHash: leaves[4], index: 4, treeSize: 11, proof: path + [root], root: root))
    #expect(!MerkleTree.verifyInclusion(leafHash: leaves[4], index: 4, treeSize: 11, proof: Array(path.dropLast()), root: root))
    #expect(!MerkleTree.verifyInclusion(leafHash: leaves[4], index: 11, treeSize: 11, proof: path, root: root))
    #expect(MerkleTree.inclusionProof(index: 11, leaves: leaves) == nil)

    let old = MerkleTree.root(leaves[..<6])
    let proof = try #require(MerkleTree.consistencyProof(oldSize: 6, leaves: leaves))
    #expect(!MerkleTree.verifyConsistency(oldSize: 6, newSize: 11, oldRoot: old, newRoot: root, proof: proof + [root]))
    #expect(!MerkleTree.verifyConsistency(oldSize: 6, newSize: 11, oldRoot: old, newRoot: root, proof: Array(proof.dropFirst())))
    #expect(!MerkleTree.verifyConsistency(oldSize: 0, newSize: 11, oldRoot: TreeHashing.emptyRoot, newRoot: root, proof: []))
    #expect(!MerkleTree.verifyConsistency(oldSize: 11, newSize: 6, oldRoot: root, newRoot: old, proof: proof))
    #expect(MerkleTree.consistencyProof(oldSize: 0, leaves: leaves) == nil)
    #expect(MerkleTree.consistencyProof(oldSize: 12, leaves: leaves) == nil)
}

@Test func treeHashesReadAndWriteHex() throws {
    let hash = try #require(TreeHash(hex: vectorRoots[8].uppercased()))
    #expect(hash.hex == vectorRoots[8])
    #expect(TreeHash(hex: String(vectorRoots[8].dropLast())) == nil)
    #expect(TreeHash(hex: String(vectorRoots[8].dropLast()) + "g") == nil)
    #expect(TreeHash(bytes: [UInt8](repeating: 0, count: 31)) == nil)
}
