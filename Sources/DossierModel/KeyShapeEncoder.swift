/// The shape of what a value encodes to, for `StrictKeys`: a tree of `Node`s, objects keyed by
/// name, arrays in order, every scalar (and an explicit null) a leaf. The same keys as encoding
/// the value to JSON and parsing that back, in a fraction of the time: `JSONEncoder` then
/// `JSONSerialization` took a third of `DossierRecord.decode` (`perf` of the origin under
/// `dossier-bench e2e`). Holds only for types encoded through the containers alone, without
/// `JSONEncoder`'s special cases (`Date`, `Data`, `URL`, `Decimal`), which the record's types
/// do not use.
enum KeyShape {
    static func of(_ value: some Encodable) throws -> Node {
        let root = Node(key: nil, parent: nil)
        try value.encode(to: ShapeEncoder(node: root))
        return root
    }

    /// One value being encoded; a container fills it in once asked for.
    final class Node {
        var object: [String: Node]?
        var array: [Node]?
        /// Where the node is, for `Encoder.codingPath`, which is built only when asked: the
        /// record's types never ask, and building it for every key was a tenth of
        /// `DossierRecord.decode`. A parent holds its children, so it outlives them.
        private let key: (any CodingKey)?
        private unowned let parent: Node?

        init(key: (any CodingKey)?, parent: Node?) {
            self.key = key
            self.parent = parent
        }

        var codingPath: [any CodingKey] {
            var path: [any CodingKey] = []
            var node: Node? = self
            while let current = node {
                if let key = current.key { path.append(key) }
                node = current.parent
            }
            return path.reversed()
        }

        /// The node for `name` of this object, made an object when it was not one; `key` is
        /// its coding key (nil for a super encoder's node, which adds none).
        func child(_ name: String, key: (any CodingKey)?) -> Node {
            let node = Node(key: key, parent: self)
            if object == nil { object = [:] }
            object?[name] = node
            return node
        }

        /// A new last element of this array, made an array when it was not one.
        func appended() -> Node {
            let node = Node(key: nil, parent: self)
            if array == nil { array = [] }
            array?.append(node)
            return node
        }
    }
}

private struct ShapeEncoder: Encoder {
    let node: KeyShape.Node
    var codingPath: [any CodingKey] { node.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.object == nil { node.object = [:] }
        return KeyedEncodingContainer(KeyedShape<Key>(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.array == nil { node.array = [] }
        return UnkeyedShape(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleShape(node: node) }
}

private struct KeyedShape<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: KeyShape.Node
    var codingPath: [any CodingKey] { node.codingPath }

    private func child(_ key: Key) -> KeyShape.Node { node.child(key.stringValue, key: key) }

    mutating func encodeNil(forKey key: Key) throws { _ = child(key) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        try value.encode(to: ShapeEncoder(node: child(key)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        ShapeEncoder(node: child(key)).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ShapeEncoder(node: child(key)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ShapeEncoder(node: node.child("super", key: nil)) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { ShapeEncoder(node: child(key)) }
}

private struct UnkeyedShape: UnkeyedEncodingContainer {
    let node: KeyShape.Node
    var codingPath: [any CodingKey] { node.codingPath }
    var count: Int { node.array?.count ?? 0 }

    mutating func encodeNil() throws { _ = node.appended() }

    mutating func encode(_ value: some Encodable) throws { try value.encode(to: ShapeEncoder(node: node.appended())) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        ShapeEncoder(node: node.appended()).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { ShapeEncoder(node: node.appended()).unkeyedContainer() }

    mutating func superEncoder() -> any Encoder { ShapeEncoder(node: node.appended()) }
}

/// A scalar leaves the node a leaf; a value of another type encodes its own shape into it.
private struct SingleShape: SingleValueEncodingContainer {
    let node: KeyShape.Node
    var codingPath: [any CodingKey] { node.codingPath }

    mutating func encode(_ value: some Encodable) throws { try value.encode(to: ShapeEncoder(node: node)) }
    mutating func encodeNil() throws {}
    mutating func encode(_ value: Bool) throws {}
    mutating func encode(_ value: String) throws {}
    mutating func encode(_ value: Double) throws {}
    mutating func encode(_ value: Float) throws {}
    mutating func encode(_ value: Int) throws {}
    mutating func encode(_ value: Int8) throws {}
    mutating func encode(_ value: Int16) throws {}
    mutating func encode(_ value: Int32) throws {}
    mutating func encode(_ value: Int64) throws {}
    mutating func encode(_ value: UInt) throws {}
    mutating func encode(_ value: UInt8) throws {}
    mutating func encode(_ value: UInt16) throws {}
    mutating func encode(_ value: UInt32) throws {}
    mutating func encode(_ value: UInt64) throws {}
}
