/// The pickle virtual machine (CPython's `_Unpickler`) with every call left unmade.
///
/// Objects live in an arena of nodes addressed by index while the stream runs, because
/// pickle objects are mutable and shared: a list is memoised empty and filled afterwards,
/// a dict gets its items after it was stored, BUILD sets state on an object others refer
/// to. Indices (not class references) keep deep or cyclic graphs from overflowing the
/// stack on release. The tree is made only at STOP, from the final state of each node
/// (PickleTreeBuilder).
struct PickleMachine {
    /// Deeper than any real data file (a PyTorch state dict is about 6 levels).
    static let maxDepth = 200

    enum Kind {
        case leaf(PickleValue)
        case list, tuple, dict, set, frozenSet
        case object(Int)      // index into `objects`
        case persistent       // items[0] is the id
    }

    struct Entry {
        let key: Int
        let value: Int
    }

    /// `items`: list, tuple and set members, an object's appended items; `entries`: dict
    /// items, an object's SETITEM items.
    struct Node {
        var kind: Kind
        var items: [Int] = []
        var entries: [Entry] = []
    }

    struct ObjectParts {
        let construction: PickleObject.Construction
        let callable: Int
        let args: [Int]
        let kwargs: Int?
        var states: [Int] = []
    }

    private let bytes: UnsafeRawBufferPointer
    private let source: String
    private let baseOffset: Int
    private let inlineLimit: Int
    private var position: Int
    private var opcodeStart: Int
    private var opcodeName = "start"
    private(set) var nodes: [Node] = []
    private(set) var objects: [ObjectParts] = []
    private var stack: [Int] = []
    private var marks: [Int] = []  // stack heights at each MARK
    private var memo: [Int: Int] = [:]

    init(bytes: UnsafeRawBufferPointer, start: Int, source: String, baseOffset: Int, inlineLimit: Int) {
        precondition(start >= 0 && start <= bytes.count, "pickle start outside the buffer")
        self.bytes = bytes
        self.position = start
        self.opcodeStart = start
        self.source = source
        self.baseOffset = baseOffset
        self.inlineLimit = inlineLimit
    }

    /// Runs to STOP: the value and the offset (in the buffer) just after STOP.
    mutating func run() throws(PickleError) -> (value: PickleValue, end: Int) {
        while true {
            opcodeStart = position
            guard position < bytes.count else {
                throw fail(.truncated(position == 0 ? "empty stream" : "the stream ends without STOP"))
            }
            let code = bytes[position]
            position += 1
            guard let opcode = PickleOpcode(rawValue: code) else { throw fail(.unknownOpcode(code)) }
            opcodeName = opcode.name
            if opcode == .stop {
                let value = try pop()
                var builder = PickleTreeBuilder(machine: self)
                return (try builder.value(value, depth: 0), position)
            }
            try execute(opcode)
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func execute(_ opcode: PickleOpcode) throws(PickleError) {
        switch opcode {
        case .stop: preconditionFailure("STOP is handled by run()")
        case .proto:
            let version = try readUInt(1)
            guard version <= 5 else { throw fail(.unsupported("protocol \(version) (this reader knows 0 to 5)")) }
        case .frame:
            let size = try readUInt(8)
            guard size <= UInt64(bytes.count - position) else {
                throw fail(.truncated("FRAME of \(size) bytes, only \(bytes.count - position) left"))
            }
        case .mark: marks.append(stack.count)
        case .pop:
            if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark() }
        case .popMark: _ = try popMark()
        case .dup: stack.append(try top())

        case .none: push(.none)
        case .newTrue: push(.bool(true))
        case .newFalse: push(.bool(false))
        case .int:
            let line = try readLine()
            if line == Array("01".utf8) { push(.bool(true)); return }
            if line == Array("00".utf8) { push(.bool(false)); return }
            push(try integer(fromText: line))
        case .long:
            var line = try readLine()
            if line.last == UInt8(ascii: "L") { line.removeLast() }
            push(try integer(fromText: line))
        case .binInt: push(.int(Int(Int32(truncatingIfNeeded: try readUInt(4)))))
        case .binInt1: push(.int(Int(try readUInt(1))))
        case .binInt2: push(.int(Int(try readUInt(2))))
        case .long1: push(PickleText.integer(littleEndian: try copy(take(Int(try readUInt(1)), "LONG1 digits"))))
        case .long4: push(PickleText.integer(littleEndian: try copy(take(try signedLength(4), "LONG4 digits"))))
        case .binFloat: push(.float(Double(bitPattern: UInt64(bigEndian: try readUInt(8).littleEndian))))
        case .float:
            let text = PickleText.trimmed(try readLine())
            guard let value = Double(text) else { throw fail(.malformed("FLOAT argument '\(text.prefix(40))' is not a number")) }
            push(.float(value))

        case .string:
            var line = try readLine()
            guard line.count >= 2, line.first == line.last, line.first == UInt8(ascii: "'") || line.first == UInt8(ascii: "\"") else {
                throw fail(.malformed("the STRING argument is not quoted"))
            }
            line = Array(line[1..<line.count - 1])
            guard let decoded = PickleText.unescape(line) else { throw fail(.malformed("the STRING argument has a bad escape")) }
            push(.bytes(.inline(decoded)))
        case .binString: push(.bytes(bytesValue(try take(try signedLength(4), "BINSTRING data"))))
        case .shortBinString: push(.bytes(bytesValue(try take(Int(try readUInt(1)), "SHORT_BINSTRING data"))))
        case .binBytes: push(.bytes(bytesValue(try take(Int(try readUInt(4)), "BINBYTES data"))))
        case .shortBinBytes: push(.bytes(bytesValue(try take(Int(try readUInt(1)), "SHORT_BINBYTES data"))))
        case .binBytes8: push(.bytes(bytesValue(try take(try unsignedLength8(), "BINBYTES8 data"))))
        case .byteArray8: push(.byteArray(bytesValue(try take(try unsignedLength8(), "BYTEARRAY8 data"))))
        case .unicode: push(.string(PickleText.rawUnicodeUnescape(try readLine())))
        case .binUnicode: push(.string(try utf8(take(Int(try readUInt(4)), "BINUNICODE text"))))
        case .shortBinUnicode: push(.string(try utf8(take(Int(try readUInt(1)), "SHORT_BINUNICODE text"))))
        case .binUnicode8: push(.string(try utf8(take(try unsignedLength8(), "BINUNICODE8 text"))))

        case .emptyList: pushNode(Node(kind: .list))
        case .emptyTuple: pushNode(Node(kind: .tuple))
        case .emptyDict: pushNode(Node(kind: .dict))
        case .emptySet: pushNode(Node(kind: .set))
        case .list: pushNode(Node(kind: .list, items: try popMark()))
        case .tuple: pushNode(Node(kind: .tuple, items: try popMark()))
        case .frozenSet: pushNode(Node(kind: .frozenSet, items: try popMark()))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            var items: [Int] = []
            for _ in 0..<count { items.append(try pop()) }
            pushNode(Node(kind: .tuple, items: items.reversed()))
        case .dict:
            let items = try popMark()
            pushNode(Node(kind: .dict, entries: try pairs(items)))
        case .append:
            let value = try pop()
            try addItems([value], to: try top(), isSet: false)
        case .appends:
            let items = try popMark()
            try addItems(items, to: try top(), isSet: false)
        case .addItems:
            let items = try popMark()
            try addItems(items, to: try top(), isSet: true)
        case .setItem:
            let value = try pop()
            let key = try pop()
            try addEntries([Entry(key: key, value: value)], to: try top())
        case .setItems:
            let items = try popMark()
            try addEntries(try pairs(items), to: try top())

        case .global:
            let module = try textLine("module")
            let name = try textLine("name")
            push(.global(PickleGlobal(module: module, name: name)))
        case .stackGlobal:
            let name = try pop()
            let module = try pop()
            guard case .leaf(.string(let moduleText)) = nodes[module].kind,
                  case .leaf(.string(let nameText)) = nodes[name].kind else {
                throw fail(.malformed("STACK_GLOBAL needs two str values"))
            }
            push(.global(PickleGlobal(module: moduleText, name: nameText)))
        case .reduce:
            let args = try pop()
            let callable = try pop()
            pushObject(.reduce, callable: callable, args: try tupleItems(args), kwargs: nil)
        case .newObj:
            let args = try pop()
            let cls = try pop()
            pushObject(.newObject, callable: cls, args: try tupleItems(args), kwargs: nil)
        case .newObjEx:
            let kwargs = try pop()
            let args = try pop()
            let cls = try pop()
            guard case .dict = nodes[kwargs].kind else { throw fail(.malformed("NEWOBJ_EX keyword arguments are not a dict")) }
            pushObject(.newObject, callable: cls, args: try tupleItems(args), kwargs: kwargs)
        case .inst:
            let module = try textLine("module")
            let name = try textLine("name")
            let args = try popMark()
            nodes.append(Node(kind: .leaf(.global(PickleGlobal(module: module, name: name)))))
            pushObject(.instance, callable: nodes.count - 1, args: args, kwargs: nil)
        case .obj:
            let items = try popMark()
            guard let cls = items.first else { throw fail(.malformed("OBJ has no class after its MARK")) }
            pushObject(.instance, callable: cls, args: Array(items.dropFirst()), kwargs: nil)
        case .build:
            let state = try pop()
            let target = try top()
            guard case .object(let index) = nodes[target].kind else {
                throw fail(.malformed("BUILD on a \(describe(target)), not on an object made by REDUCE, NEWOBJ, INST or OBJ"))
            }
            objects[index].states.append(state)
        case .persID:
            let line = try readLine()
            guard line.allSatisfy({ $0 < 0x80 }) else { throw fail(.malformed("PERSID argument is not ASCII")) }
            push(.string(String(decoding: line, as: UTF8.self)))
            pushNode(Node(kind: .persistent, items: [try pop()]))
        case .binPersID: pushNode(Node(kind: .persistent, items: [try pop()]))

        case .put: try store(at: try memoIndex(fromText: try readLine()))
        case .binPut: try store(at: Int(try readUInt(1)))
        case .longBinPut: try store(at: Int(try readUInt(4)))
        case .memoize: try store(at: memo.count)
        case .get: try fetch(try memoIndex(fromText: try readLine()))
        case .binGet: try fetch(Int(try readUInt(1)))
        case .longBinGet: try fetch(Int(try readUInt(4)))

        case .ext1, .ext2, .ext4:
            throw fail(.unsupported("\(opcodeName) (the copyreg extension registry is not available outside Python)"))
        case .nextBuffer, .readonlyBuffer:
            throw fail(.unsupported("\(opcodeName): out-of-band buffers (pickle protocol 5 buffer_callback) are not supported"))
        }
    }

    // MARK: - Stack, memo and nodes

    func fail(_ problem: PickleError.Problem) -> PickleError {
        PickleError(source: source, offset: baseOffset + opcodeStart, problem: problem)
    }

    private mutating func push(_ value: PickleValue) { pushNode(Node(kind: .leaf(value))) }

    private mutating func pushNode(_ node: Node) {
        nodes.append(node)
        stack.append(nodes.count - 1)
    }

    private mutating func pushObject(_ construction: PickleObject.Construction, callable: Int, args: [Int], kwargs: Int?) {
        objects.append(ObjectParts(construction: construction, callable: callable, args: args, kwargs: kwargs))
        pushNode(Node(kind: .object(objects.count - 1)))
    }

    /// Values above the last MARK cannot be taken by a plain pop, as in CPython.
    private mutating func pop() throws(PickleError) -> Int {
        guard stack.count > (marks.last ?? 0) else { throw fail(.stackUnderflow(opcodeName)) }
        return stack.removeLast()
    }

    private func top() throws(PickleError) -> Int {
        guard stack.count > (marks.last ?? 0), let last = stack.last else { throw fail(.stackUnderflow(opcodeName)) }
        return last
    }

    private mutating func popMark() throws(PickleError) -> [Int] {
        guard let mark = marks.popLast() else { throw fail(.missingMark(opcodeName)) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func pairs(_ items: [Int]) throws(PickleError) -> [Entry] {
        guard items.count % 2 == 0 else { throw fail(.malformed("\(opcodeName) has an odd number (\(items.count)) of keys and values")) }
        return stride(from: 0, to: items.count, by: 2).map { Entry(key: items[$0], value: items[$0 + 1]) }
    }

    private func tupleItems(_ node: Int) throws(PickleError) -> [Int] {
        guard case .tuple = nodes[node].kind else { throw fail(.malformed("\(opcodeName) arguments are a \(describe(node)), not a tuple")) }
        return nodes[node].items
    }

    /// APPEND(S) add to lists, ADDITEMS to sets; on objects both are recorded as items.
    private mutating func addItems(_ items: [Int], to target: Int, isSet: Bool) throws(PickleError) {
        switch nodes[target].kind {
        case .list where !isSet, .set where isSet, .object:
            nodes[target].items.append(contentsOf: items)
        default:
            throw fail(.malformed("\(opcodeName) to a \(describe(target))"))
        }
    }

    private mutating func addEntries(_ entries: [Entry], to target: Int) throws(PickleError) {
        switch nodes[target].kind {
        case .dict, .object: nodes[target].entries.append(contentsOf: entries)
        default: throw fail(.malformed("\(opcodeName) on a \(describe(target)), not a dict"))
        }
    }

    private mutating func store(at index: Int) throws(PickleError) {
        memo[index] = try top()
    }

    private mutating func fetch(_ index: Int) throws(PickleError) {
        guard let node = memo[index] else { throw fail(.memoMiss(index)) }
        stack.append(node)
    }

    private func memoIndex(fromText line: [UInt8]) throws(PickleError) -> Int {
        let text = PickleText.trimmed(line)
        guard let index = Int(text), index >= 0 else { throw fail(.malformed("\(opcodeName) index '\(text.prefix(40))' is not a non-negative integer")) }
        return index
    }

    func describe(_ node: Int) -> String {
        switch nodes[node].kind {
        case .leaf(let value): return value.kindDescription
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .set: return "set"
        case .frozenSet: return "frozenset"
        case .object: return "object"
        case .persistent: return "persistent id"
        }
    }

    // MARK: - Reading bytes

    private mutating func take(_ count: Int, _ what: String) throws(PickleError) -> Range<Int> {
        guard count >= 0 else { throw fail(.badLength("\(opcodeName) length \(count) is negative")) }
        let left = bytes.count - position
        guard count <= left else { throw fail(.truncated("\(opcodeName) needs \(count) bytes of \(what), only \(left) left")) }
        position += count
        return position - count..<position
    }

    /// A little-endian unsigned integer of `width` bytes.
    private mutating func readUInt(_ width: Int) throws(PickleError) -> UInt64 {
        let range = try take(width, "argument")
        var value: UInt64 = 0
        for i in range.reversed() { value = value << 8 | UInt64(bytes[i]) }
        return value
    }

    private mutating func signedLength(_ width: Int) throws(PickleError) -> Int {
        let length = Int(Int32(truncatingIfNeeded: try readUInt(width)))
        guard length >= 0 else { throw fail(.badLength("\(opcodeName) length \(length) is negative")) }
        return length
    }

    private mutating func unsignedLength8() throws(PickleError) -> Int {
        let length = try readUInt(8)
        guard length <= UInt64(bytes.count - position) else {
            throw fail(length > UInt64(Int.max)
                ? .badLength("\(opcodeName) length \(length) is absurd")
                : .truncated("\(opcodeName) needs \(length) bytes, only \(bytes.count - position) left"))
        }
        return Int(length)
    }

    /// The bytes up to the next newline, which is consumed.
    private mutating func readLine() throws(PickleError) -> [UInt8] {
        guard let newline = bytes[position...].firstIndex(of: 0x0A) else {
            throw fail(.truncated("\(opcodeName) argument has no end of line"))
        }
        defer { position = newline + 1 }
        return copy(position..<newline)
    }

    private mutating func textLine(_ what: String) throws(PickleError) -> String {
        let line = try readLine()
        guard let text = String(validating: line, as: UTF8.self) else { throw fail(.malformed("\(opcodeName) \(what) is not UTF-8")) }
        return text
    }

    private func copy(_ range: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[range])) }

    /// CPython decodes with surrogatepass; lone surrogates become U+FFFD here.
    private func utf8(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private func bytesValue(_ range: Range<Int>) -> PickleBytes {
        range.count <= inlineLimit ? .inline(copy(range)) : .range(offset: baseOffset + range.lowerBound, count: range.count)
    }

    private func integer(fromText line: [UInt8]) throws(PickleError) -> PickleValue {
        guard let value = PickleText.integer(decimal: line) else {
            let text = String(decoding: line.prefix(40), as: UTF8.self)
            throw fail(.malformed("\(opcodeName) argument '\(text)' is not an integer of at most \(PickleText.maxDigits) digits"))
        }
        return value
    }
}
