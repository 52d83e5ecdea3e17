/// Makes the value tree from the machine's nodes at STOP. Each node is turned into a value
/// once; a node used several times (memo GET) shares that value's arrays (copy-on-write),
/// so sharing costs no copies. Depth is bounded so recursion cannot overflow the stack.
struct PickleTreeBuilder {
    let machine: PickleMachine
    var done: [Int: PickleValue] = [:]
    var visiting: Set<Int> = []

    mutating func value(_ id: Int, depth: Int) throws(PickleError) -> PickleValue {
        let node = machine.nodes[id]
        if case .leaf(let value) = node.kind { return value }
        if let value = done[id] { return value }
        guard depth < PickleMachine.maxDepth else { throw machine.fail(.tooDeep(PickleMachine.maxDepth)) }
        guard visiting.insert(id).inserted else {
            throw machine.fail(.unsupported("a \(machine.describe(id)) that contains itself"))
        }
        let result: PickleValue
        switch node.kind {
        case .leaf: preconditionFailure("leaves return above")
        case .list: result = .list(try values(node.items, depth))
        case .tuple: result = .tuple(try values(node.items, depth))
        case .set: result = .set(try values(node.items, depth))
        case .frozenSet: result = .frozenSet(try values(node.items, depth))
        case .dict: result = .dict(try entries(node.entries, depth))
        case .persistent: result = .persistent(try value(node.items[0], depth: depth + 1))
        case .object(let index):
            let parts = machine.objects[index]
            var kwargs: [PickleDictEntry] = []
            if let kwargsNode = parts.kwargs { kwargs = try entries(machine.nodes[kwargsNode].entries, depth) }
            result = .object(PickleObject(
                construction: parts.construction,
                callable: try value(parts.callable, depth: depth + 1),
                args: try values(parts.args, depth), kwargs: kwargs,
                states: try values(parts.states, depth),
                listItems: try values(node.items, depth),
                dictItems: try entries(node.entries, depth)))
        }
        visiting.remove(id)
        done[id] = result
        return result
    }

    private mutating func values(_ ids: [Int], _ depth: Int) throws(PickleError) -> [PickleValue] {
        var result: [PickleValue] = []
        result.reserveCapacity(ids.count)
        for id in ids { result.append(try value(id, depth: depth + 1)) }
        return result
    }

    private mutating func entries(_ list: [PickleMachine.Entry], _ depth: Int) throws(PickleError) -> [PickleDictEntry] {
        var result: [PickleDictEntry] = []
        result.reserveCapacity(list.count)
        for entry in list {
            result.append(PickleDictEntry(key: try value(entry.key, depth: depth + 1),
                                          value: try value(entry.value, depth: depth + 1)))
        }
        return result
    }
}
