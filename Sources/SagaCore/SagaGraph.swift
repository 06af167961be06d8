/// A saga definition compiled for the state machine: its steps as the nodes of a graph, and
/// its completion group.
///
/// A node's index is its step's position in the file. Command ids carry it
/// (`<saga>/<index>/action`) and participants key their fences on it, so it never changes for
/// a fingerprint, nor for a saga already logged. Each node knows the nodes it waits for
/// (``Node/predecessors``) and those that wait for it; its action is ready once every
/// predecessor succeeded. Compensation runs the other way: a node's compensation waits for the
/// compensations of every node after it (``Node/descendants``). The completion group runs all
/// at once after every node succeeded; its actions are never compensated.
///
/// Version 1 of the definition format compiles to a chain (each step after the one before it)
/// plus the completion group.
public struct SagaGraph: Sendable, Equatable {
    /// One step of the saga, placed in the graph.
    public struct Node: Sendable, Equatable {
        /// Its position in the file: the index in its command ids.
        public let index: Int
        public let step: StepDefinition
        /// The nodes whose actions must succeed before its action starts.
        public let predecessors: NodeSet
        /// The nodes that wait for it.
        public let successors: NodeSet
        /// Every node after it (its successors, theirs, …): their compensations come before its own.
        public let descendants: NodeSet

        /// Whether it has a compensation.
        public var isCompensable: Bool { step.compensation != nil }
    }

    /// The nodes, by index.
    public let nodes: [Node]
    /// The finishing actions, sent together once every node succeeded.
    public let completions: [CompletionAction]
    /// The nodes that wait for none: they start with the saga.
    public let roots: NodeSet
    /// Every node.
    public let all: NodeSet
    /// The nodes that have a compensation.
    public let compensable: NodeSet

    /// Version 1: each step waits for the one before it in the file.
    public static func chain(_ steps: [StepDefinition], completions: [CompletionAction]) -> SagaGraph {
        let edges = steps.indices.map { index in index == 0 ? NodeSet() : NodeSet([index - 1]) }
        return SagaGraph(steps: steps, predecessors: edges, completions: completions)
    }

    /// A graph of `steps` where step `i` waits for `predecessors[i]` (each an earlier step, so
    /// the file's order is an order the graph allows).
    init(steps: [StepDefinition], predecessors: [NodeSet], completions: [CompletionAction]) {
        precondition(steps.count <= NodeSet.capacity && predecessors.count == steps.count)
        var successors = Array(repeating: NodeSet(), count: steps.count)
        for (index, before) in predecessors.enumerated() {
            for predecessor in before {
                precondition(predecessor < index, "a step waits only for steps before it in the file")
                successors[predecessor].insert(index)
            }
        }
        // Descendants from the last node back: each node's successors and theirs.
        var descendants = Array(repeating: NodeSet(), count: steps.count)
        for index in steps.indices.reversed() {
            for successor in successors[index] { descendants[index] = descendants[index].union(descendants[successor]).union([successor]) }
        }
        nodes = steps.indices.map { index in
            Node(index: index, step: steps[index], predecessors: predecessors[index], successors: successors[index],
                 descendants: descendants[index])
        }
        self.completions = completions
        roots = NodeSet(steps.indices.filter { predecessors[$0].isEmpty })
        all = NodeSet.all(steps.count)
        compensable = NodeSet(steps.indices.filter { steps[$0].compensation != nil })
    }

    /// Every service the saga's commands go to.
    public var services: Set<String> { Set(nodes.map(\.step.service) + completions.map(\.service)) }

    /// The node at `index`, or `nil` when the graph has no such node.
    public func node(_ index: Int) -> Node? {
        nodes.indices.contains(index) ? nodes[index] : nil
    }

    /// The nodes whose actions become ready once `index` succeeds, given the nodes that had
    /// succeeded before it.
    public func readyAfter(_ index: Int, succeeded: NodeSet) -> NodeSet {
        let done = succeeded.union([index])
        return NodeSet(nodes[index].successors.filter { nodes[$0].predecessors.isSubset(of: done) })
    }
}
